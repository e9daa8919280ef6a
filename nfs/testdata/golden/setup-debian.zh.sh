#!/usr/bin/env bash
# 用于 Elasticsearch 快照的 NFS 共享目录，适用于 Debian/Ubuntu。由 esmigrate 生成；运行前请先阅读：
# 它会安装软件包，并修改防火墙、/etc/exports、/etc/fstab 和 elasticsearch.yml。
#
#   NFS 服务端：       10.0.0.5，导出 /srv/es_backup
#   客户端：           10.0.0.21 10.0.0.22，挂载到 /mnt/es_backup（NFS 4.2）
#   Elasticsearch uid：112:117
#
# 请以 root 在每台主机上按其角色运行：
#   在 10.0.0.5:   bash esmigrate-nfs-setup.sh server
#   在 10.0.0.21:  bash esmigrate-nfs-setup.sh client
#   在 10.0.0.22:  bash esmigrate-nfs-setup.sh client
# 每一步都可以安全地重复运行。
set -euo pipefail

server() {
  # ===== 在 NFS 服务端上：10.0.0.5 =====

  # 1. 安装 NFS 服务端
  #    nfs-kernel-server 包含内核 NFS 服务端的工具（exportfs、rpc.mountd），并会一起安装 rpcbind。
  apt-get update
  apt-get install -y nfs-kernel-server

  # 2. 立即启动 NFS 服务端，并设为开机启动
  #    rpcbind 为 NFSv3 客户端和 showmount 注册 mountd；nfs-kernel-server 启动 nfsd 和 mountd。
  systemctl enable --now rpcbind nfs-kernel-server

  # 3. 在防火墙上放行 NFS
  #    仅在启用了 ufw 时需要（Debian 默认没有防火墙）：NFS 是 2049/tcp，portmapper 是 111。
  if command -v ufw >/dev/null && ufw status | grep -q 'Status: active'; then
    ufw allow from 10.0.0.21 to any port 2049 proto tcp
    ufw allow from 10.0.0.21 to any port 111
    ufw allow from 10.0.0.22 to any port 2049 proto tcp
    ufw allow from 10.0.0.22 to any port 111
  fi

  # 4. 创建导出目录，属主为 Elasticsearch 的 uid
  #    节点上的 Elasticsearch 以 112:117 运行；在服务端（由它决定属主）上，这个目录必须可由该 uid 写入。
  mkdir -p /srv/es_backup
  chown 112:117 /srv/es_backup
  chmod 0750 /srv/es_backup

  # 5. 把它导出给 Elasticsearch 节点
  #    rw 和 sync 保证已确认的快照文件都已落盘；all_squash 加 anonuid=112,anongid=117 让每个节点都以 112:117 写入，即
  #    使它本地的 elasticsearch uid 不同。
  grep -qxF '/srv/es_backup 10.0.0.21(rw,sync,no_subtree_check,all_squash,anonuid=112,anongid=117) 10.0.0.22(rw,sync,no_subtree_check,all_squash,anonuid=112,anongid=117)' /etc/exports || printf '%s\n' '/srv/es_backup 10.0.0.21(rw,sync,no_subtree_check,all_squash,anonuid=112,anongid=117) 10.0.0.22(rw,sync,no_subtree_check,all_squash,anonuid=112,anongid=117)' >>/etc/exports

  # 6. 使导出配置生效
  #    exportfs -ra 重新读取 /etc/exports 并报告错误；-v 显示当前导出的内容。
  exportfs -ra
  exportfs -v
}

client() {
  # ===== 在 NFS 客户端上：10.0.0.21, 10.0.0.22 =====

  # 1. 安装 NFS 客户端
  #    nfs-common 包含 mount.nfs（以及 NFSv3 加锁用的 statd）。
  apt-get update
  apt-get install -y nfs-common

  # 2. 挂载共享目录
  #    使用 hard：服务端慢时让 Elasticsearch 等待，而不是收到 I/O 错误、留下写了一半的快照文件。
  mkdir -p /mnt/es_backup
  mountpoint -q /mnt/es_backup || mount -t nfs -o vers=4.2,hard 10.0.0.5:/srv/es_backup /mnt/es_backup

  # 3. 每次开机时挂载
  #    没有这一行，重启后挂载点会是一个空的本地目录，Elasticsearch 会把快照写到那里；_netdev 会等待网络就绪。
  M=/mnt/es_backup awk '$2 == ENVIRON["M"] {found=1} END {exit !found}' /etc/fstab || printf '%s\n' '10.0.0.5:/srv/es_backup /mnt/es_backup nfs vers=4.2,hard,_netdev 0 0' >>/etc/fstab

  # 4. 检查 Elasticsearch 的用户能否写入
  #    以 elasticsearch 用户身份写一个文件，与 Elasticsearch 的写法相同。
  if id elasticsearch >/dev/null 2>&1; then
    su -s /bin/sh elasticsearch -c 'touch /mnt/es_backup/.esmigrate-write-test && rm /mnt/es_backup/.esmigrate-write-test'
  else
    echo 'no elasticsearch user on this host yet: install Elasticsearch, then check again' >&2
  fi

  # 5. 在 elasticsearch.yml 中允许这个路径
  #    Elasticsearch 会拒绝 path.repo 之外的 fs 仓库（'doesn't match any of the locations specified by path.repo'）。
  #    如果已经设置了 path.repo，请手工把挂载点加入它的列表。
  if grep -qE '^[[:space:]]*path\.repo[[:space:]]*:' /etc/elasticsearch/elasticsearch.yml; then
    echo 'path.repo is already set in /etc/elasticsearch/elasticsearch.yml: add /mnt/es_backup to its list by hand' >&2
  else
    printf '%s\n' 'path.repo: ["/mnt/es_backup"]' >>/etc/elasticsearch/elasticsearch.yml
  fi

  # 6. 逐个节点重启 Elasticsearch
  #    path.repo 只在启动时读取。先重启一个节点，等 GET _cluster/health 变为 green（单节点集群为 yellow），再重启下一
  #    个；这个脚本不会重启任何东西。
  echo 'now restart Elasticsearch on this node when the cluster is green: systemctl restart elasticsearch'
}

case "${1:-}" in
  server) server ;;
  client) client ;;
  *) echo "usage: $0 server|client (see the comments at the top)" >&2; exit 2 ;;
esac
