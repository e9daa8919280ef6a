package ui

import (
	"fmt"
	"os"
	"strings"

	"github.com/esmigrate/esmigrate/steps"
)

// The one catalogue of user-facing strings. Every string the wizard shows goes through Common.T with a key
// from here; catalogue_test.go checks that both languages have every key and the same verbs.
//
// Texts that come from the engine: check titles are translated by check id (checkTitle; the English original
// stays in the details), phases and event kinds by name (eventText). Evidence, fixes, messages and errors are
// shown as the engine wrote them, in English, and the Chinese labels say so: they carry names, paths and
// numbers the operator may need to paste into a search, and they are never machine-translated.

var catalogue = map[string]map[string]string{
	"en": en,
	"zh": zh,
}

var en = map[string]string{
	"app.title":   "esmigrate",
	"step.1":      "Connect",
	"step.2":      "Pre-flight",
	"step.3":      "Repository",
	"step.4":      "Indices",
	"step.5":      "Review",
	"step.6":      "Run",
	"step.7":      "Report",
	"step.of":     "step %d of %d",
	"role.source": "Source",
	"role.target": "Target",

	// keys
	"key.quit":     "quit",
	"key.help":     "more keys",
	"key.back":     "back",
	"key.next":     "continue",
	"key.redraw":   "redraw",
	"key.up":       "up",
	"key.down":     "down",
	"key.test":     "test connection",
	"key.edit":     "edit",
	"key.rerun":    "re-run checks",
	"key.expand":   "details",
	"key.ack":      "accept warnings",
	"key.copy":     "copy (OSC 52)",
	"key.save":     "save to file",
	"key.distro":   "rhel/debian",
	"key.panel":    "checks/commands",
	"key.toggle":   "select",
	"key.all":      "select all shown",
	"key.glob":     "select by pattern",
	"key.sort":     "sort column",
	"key.reverse":  "reverse sort",
	"key.hidden":   "system/hidden",
	"key.options":  "restore options",
	"key.clear":    "clear filter",
	"key.start":    "start migration",
	"key.scroll":   "scroll",
	"key.stop":     "stop following",
	"key.cleanup":  "clean up",
	"key.finish":   "finish",
	"key.pgup":     "page up",
	"key.pgdown":   "page down",
	"key.saveplan": "save plan",
	"key.yes":      "yes",
	"key.no":       "no",
	"key.log":      "log pane",
	"key.cancel":   "cancel",
	"key.accept":   "accept",
	"key.choose":   "choose",

	"key.resume":    "resume",
	"key.startover": "start over",
	"key.new":       "new migration",

	// connect
	"connect.url":           "URL of a node",
	"connect.url.desc":      "http:// or https://, e.g. http://10.0.0.5:9200",
	"connect.auth":          "Authentication",
	"connect.auth.none":     "none",
	"connect.auth.basic":    "user and password",
	"connect.auth.apikey":   "API key",
	"connect.user":          "User",
	"connect.password":      "Password (not shown, never saved)",
	"connect.apikey":        "API key (id:key or base64; never saved)",
	"connect.ca":            "CA certificate file (PEM, optional)",
	"connect.insecure":      "Skip TLS certificate verification?",
	"connect.insecure.desc": "Not recommended: anyone in between can read the traffic",
	"connect.url.missing":   "enter the URL of a node",
	"connect.url.scheme":    "must start with http:// or https://",
	"connect.testing":       "connecting to %s…",
	"connect.ok":            "%s: cluster %q, %s %s, health %s, %d node(s)",
	"connect.fail":          "%s: cannot connect",
	"connect.fix":           "Fix: %s",
	"connect.same":          "source and target are the same cluster (uuid %s): give the target cluster's URL",
	"connect.hint.form":     "Fill in both clusters. enter moves on; ctrl+t tests the connections now.",
	"connect.hint.done":     "Both clusters answer. enter: continue · e: edit",
	"connect.hint.failed":   "Fix the connection and try again. e: edit · ctrl+t: test again",
	"connect.prefilled":     "Prefilled from %s.",

	// pre-flight
	"pf.title":            "Pre-flight checks",
	"pf.location":         "Repository location (change it on the next screen): source %s, target %s",
	"pf.running":          "checking…",
	"pf.summary":          "%d ok, %d warning(s), %d failure(s)",
	"pf.blocked":          "A check failed: fix it (its details say how), then press r to check again.",
	"pf.needack":          "Warnings: read them, then press a to accept them and go on.",
	"pf.acked":            "Warnings accepted.",
	"pf.ready":            "All checks passed. enter: continue",
	"pf.go":               "enter: continue",
	"pf.evidence":         "Found: %s",
	"pf.fix":              "Fix: %s",
	"pf.title.en":         "In English: %s",
	"pf.commands":         "NFS and path.repo setup commands (%s)",
	"pf.commands.missing": "Give the NFS server and the nodes (press e) to generate the setup commands: %s",
	"pf.copied":           "Copied %d bytes to the clipboard (OSC 52: your terminal must allow it).",
	"pf.saved":            "Saved to %s (mode 0600). Read it before running it.",
	"pf.savefail":         "Could not save: %s",
	"pf.nfs.title":        "NFS details for the setup commands",
	"pf.nfs.server":       "NFS server (name or address)",
	"pf.nfs.export":       "Exported directory on the server",
	"pf.nfs.mount":        "Mount point on every node (goes into path.repo)",
	"pf.nfs.clients":      "Elasticsearch nodes (space-separated)",
	"pf.nfs.uid":          "uid:gid Elasticsearch runs as",
	"pf.nfs.uid.bad":      "write it as uid:gid, e.g. 1000:1000",

	// repository
	"repo.title":        "Snapshot repository",
	"repo.loading":      "reading the repositories of both clusters…",
	"repo.existing":     "Existing repositories",
	"repo.none":         "(none)",
	"repo.snapshots":    "%d snapshot(s)",
	"repo.choose":       "Source repository",
	"repo.new":          "create a new one",
	"repo.use":          "use %s (%s)",
	"repo.name":         "Name of the new repository",
	"repo.location":     "Directory on the source nodes (inside path.repo)",
	"repo.storage":      "Does the target see the same storage?",
	"repo.shared":       "same share: register it read-only on the target, no copy",
	"repo.copy":         "different share: copy the repository to the target's share",
	"repo.tlocation":    "Directory on the target nodes (inside path.repo)",
	"repo.slocal":       "Where THIS host sees the source share (empty: same path)",
	"repo.tlocal":       "Where THIS host sees the target share (empty: same path)",
	"repo.snapthrottle": "Snapshot throttle per node (e.g. 100mb; empty: default)",
	"repo.restthrottle": "Restore throttle per node (e.g. 100mb; empty: default)",
	"repo.copythrottle": "Copy bandwidth (e.g. 100mb; empty: unlimited)",
	"repo.size.bad":     "not a size: write e.g. 100mb or 1gb",
	"repo.abs":          "must be an absolute path",
	"repo.verifying":    "registering and verifying the repository on both clusters…",
	"repo.plan":         "%s at %s → %s (%s)",
	"repo.mode.shared":  "shared, read-only on the target",
	"repo.mode.copy":    "copied to the target's share",
	"repo.pathrepo":     "path.repo: source %s · target %s",
	"repo.readonly":     "read-only",

	// indices
	"ix.title":         "Indices to migrate",
	"ix.loading":       "reading the source's indices…",
	"ix.filter":        "Filter: ",
	"ix.filter.ph":     "type to filter",
	"ix.col.name":      "Name",
	"ix.col.health":    "Health",
	"ix.col.status":    "Status",
	"ix.col.docs":      "Docs",
	"ix.col.size":      "Primary",
	"ix.col.shards":    "Shards",
	"ix.col.aliases":   "Aliases",
	"ix.shown":         "%d of %d shown",
	"ix.hiddenon":      "system/hidden shown",
	"ix.hiddenoff":     "system/hidden not shown",
	"ix.totals":        "Selected: %d index(es), %s, %s docs, %d primary shard(s)",
	"ix.batches":       "Batches under %s: %d (largest %s)",
	"ix.none":          "Select at least one index (space).",
	"ix.closed":        "%d closed index(es) selected: they are left out (a snapshot cannot read a closed index)",
	"ix.glob":          "Select by pattern (e.g. logs-2026.*): ",
	"ix.glob.done":     "Pattern %q selected %d index(es).",
	"ix.opts.title":    "Restore options",
	"ix.opts.renamep":  "Rename: regular expression (empty: keep names)",
	"ix.opts.renamer":  "Rename: replacement, e.g. migrated-$1",
	"ix.opts.replicas": "Replicas while restoring (0 is fastest; -1 keeps the snapshot's)",
	"ix.opts.putback":  "Put the original number of replicas back after verifying?",
	"ix.opts.aliases":  "Restore aliases?",
	"ix.opts.global":   "Restore the global state (templates, settings)? Usually not.",
	"ix.opts.batch":    "Largest batch (primary data), e.g. 50gb",
	"ix.opts.int":      "a whole number, -1 or more",
	"ix.opts.regex":    "not a regular expression: %s",
	"ix.opts.pair":     "give both the pattern and the replacement, or neither",
	"ix.opts.summary":  "Restore: replicas %s · aliases %s · global state %s · rename %s",
	"ix.keep":          "keep",
	"ix.on":            "yes",
	"ix.off":           "no",

	// review
	"rv.title":      "Review",
	"rv.checking":   "checking the selection against the target (names, versions, plugins, disk, shards)…",
	"rv.plan":       "The plan",
	"rv.p.clusters": "Move %d index(es) (%s primary data) from %s to %s.",
	"rv.p.repo":     "Repository %s: the source writes snapshots to %s; %s.",
	"rv.p.shared":   "the target reads the same share, registered read-only",
	"rv.p.copy":     "esmigrate copies the files to %s for the target",
	"rv.p.batches":  "%d batch(es), each: snapshot → transfer → restore → verify.",
	"rv.p.batch":    "  batch %d: %d index(es), %s: %s",
	"rv.p.rename":   "Indices are renamed: %s → %s (e.g. %s → %s).",
	"rv.p.state":    "Progress is saved in %s; reports go to %s.",
	"rv.conflicts":  "Conflicts and checks",
	"rv.noconflict": "No conflict found.",
	"rv.requests":   "Requests that change something, as curl",
	"rv.confirm":    "Start the migration now? The source is only read; the target gets new indices. (y/n)",
	"rv.blocked":    "A check failed: go back (esc) and change the selection or fix the target.",
	"rv.needack":    "Warnings: read them, then press a to accept them.",
	"rv.ready":      "Ready. enter: start the migration",
	"rv.plansaved":  "Plan saved to %s.",

	// run
	"run.title":          "Migration",
	"run.starting":       "starting…",
	"run.overall":        "Overall",
	"run.batch":          "Batch %d/%d",
	"run.phase.snapshot": "snapshot",
	"run.phase.transfer": "transfer",
	"run.phase.restore":  "restore",
	"run.phase.verify":   "verify",
	"run.phase.cleanup":  "clean up",
	"run.elapsed":        "elapsed %s",
	"run.eta":            "ETA %s",
	"run.log":            "Events",
	"run.stop.title":     "Stop following the migration?",
	"run.stop.body":      "Elasticsearch keeps going with what it started (a snapshot or a restore runs on in the cluster). esmigrate saves its state in %s; run `esmigrate resume --state %s` later to go on where it stopped.",
	"run.stop.ask":       "Stop now? (y/n)",
	"run.stopping":       "stopping: saving the state…",
	"run.stopped":        "Stopped. Run `esmigrate resume --state %s` to go on.",
	"run.failed":         "The migration stopped with an error:",
	"run.preflight":      "The run's pre-flight found problems:",
	"run.acceptrestart":  "Only warnings: press a to accept them and start again, esc to go back.",
	"run.done":           "Done: %d verified, %d mismatched, %d failed. enter: report",
	"run.quitdone":       "q: quit",
	"run.shards":         "%d/%d shards",
	"run.files":          "%d/%d files",

	"run.phase.connect":    "connect",
	"run.phase.preflight":  "pre-flight",
	"run.phase.repository": "repository",
	"run.phase.plan":       "plan",
	"run.phase.report":     "report",

	// report
	"rep.title":        "Report",
	"rep.result":       "%d verified, %d mismatched, %d failed, %d pending, in %d batch(es)",
	"rep.col.index":    "Index",
	"rep.col.docs":     "Docs src → dst",
	"rep.col.size":     "Size",
	"rep.col.time":     "Time",
	"rep.col.result":   "Result",
	"rep.files":        "Report files: %s, %s",
	"rep.nofiles":      "No report file was written.",
	"rep.cleanup":      "Clean-up (each removes something; you type a confirmation):",
	"rep.c.snapshots":  "delete the migration's snapshots (through the source)",
	"rep.c.files":      "delete the copied files in %s",
	"rep.c.repos":      "unregister the repositories on both clusters (files stay)",
	"rep.c.type":       "Type %q to confirm: %s",
	"rep.c.mismatch":   "that is not %q; nothing was removed",
	"rep.c.running":    "cleaning up…",
	"rep.c.done":       "Done: %s.",
	"rep.c.failed":     "Clean-up failed: %s",
	"rep.c.none":       "nothing chosen (1, 2, 3 choose)",
	"rep.res.verified": "verified",
	"rep.res.mismatch": "mismatch",
	"rep.res.failed":   "failed",
	"rep.res.pending":  "pending",
	"rep.resume":       "Pending indices: run `esmigrate resume --state %s` to go on.",
	"rep.earlier":      "This migration has already finished (state file %s, saved %s). n: start a new migration",
	"rep.files1":       "Report file: %s",

	// resume (the start screen of an unfinished migration)
	"rs.title":       "An unfinished migration",
	"rs.state":       "The state file %s holds a migration that has not finished (last saved %s).",
	"rs.l.repo":      "Repository",
	"rs.l.batches":   "Batches",
	"rs.l.stopped":   "Stopped in",
	"rs.l.error":     "Last error",
	"rs.repo":        "%s (%s)",
	"rs.batches":     "%d of %d done",
	"rs.stopped":     "batch %d of %d: %s",
	"rs.notstarted":  "before the first batch",
	"rs.resume":      "Resume\tgo on where it stopped: finished phases are not redone, a snapshot or restore Elasticsearch still runs is followed",
	"rs.startover":   "Start over\ta new migration; nothing is deleted",
	"rs.pw.why":      "The migration connects as these users; esmigrate never saves passwords.",
	"rs.pw":          "Password for %s on the %s cluster (not shown)",
	"rs.so.title":    "Start over: nothing is deleted.",
	"rs.so.other":    "To keep this state file where it is: quit (ctrl+c) and start esmigrate with another one, e.g. --state %s",
	"rs.so.move":     "Or move it aside to %s (its previous version too) and start a new migration here.",
	"rs.so.type":     "Type %q to move it aside (esc: back):",
	"rs.so.mismatch": "that is not %q; nothing was moved",
	"rs.so.moved":    "Moved the old state file %s to %s.",
	"rs.so.failed":   "Could not move it: %s",

	// misc
	"misc.yes":      "yes",
	"misc.no":       "no",
	"misc.error":    "Error: %s",
	"misc.fix":      "Fix: %s",
	"misc.toosmall": "The terminal is %dx%d; esmigrate needs at least 80x24.",
	"misc.loading":  "loading…",
	"misc.quit.ask": "Quit the wizard? Nothing has been started. (y/n)",

	// the engine's texts: check titles by check id (families by prefix, their part by the nfs check id),
	// event kinds. Dynamic evidence, fixes and messages stay as the engine wrote them.
	"check.compat-versions":    "Snapshot compatibility",
	"check.health-source":      "Health of the source cluster",
	"check.health-target":      "Health of the target cluster",
	"check.path-repo-source":   "path.repo on every source node covers the repository directory",
	"check.path-repo-target":   "path.repo on every target node covers the repository directory",
	"check.verify-repo-source": "Every source node reaches the repository",
	"check.verify-repo-target": "Every target node reaches the repository",
	"check.shares-visible":     "This host sees both shares (for the copy)",
	"check.shares-distinct":    "Source and target shares are different directories",
	"check.shares-same":        "Shared storage is one directory",
	"check.share-source":       "The source share on this host",
	"check.share-target":       "The target share on this host",
	"check.selection":          "Selected indices",
	"check.skipped":            "Indices left out",
	"check.red-indices":        "Selected indices are healthy",
	"check.compat-indices":     "Every index can be restored into the target",
	"check.rename-collisions":  "The rename gives every index its own name",
	"check.conflicts":          "No target index is in the way",
	"check.plugins":            "Plugins the indices need exist on the target",
	"check.analysis-files":     "Analysis files the indices read",
	"check.target-disk":        "Target disk space",
	"check.target-shards":      "Target shard limit",
	"check.source-busy":        "Snapshots already running on the source",

	// issue #16: lifecycle safety and the reindex path (steps/lifecycle.go, steps/reindex.go)
	"check.lifecycle":                "Lifecycle policies of the restored indices",
	"check.lifecycle-delete":         "No restored index is deleted by its lifecycle policy at once",
	"check.lifecycle-rollover":       "No restored index is rolled over by its lifecycle policy at once",
	"check.lifecycle-missing-policy": "The lifecycle policies of the restored indices exist on the target",
	"check.reindex-module":           "The target has the reindex module",
	"check.reindex-whitelist":        "The target may reindex from the source (reindex.remote.whitelist)",

	"check.share-source-": "The source share: %s",
	"check.share-target-": "The target share: %s",
	"check.nfs-server-":   "NFS server: %s",

	"check.nfs.exports.syntax":        "Exports files parse",
	"check.nfs.exports.path":          "Path is exported",
	"check.nfs.exports.rw":            "Export is read-write",
	"check.nfs.exports.sync":          "Export commits writes (sync)",
	"check.nfs.exports.squash":        "Squashing lets Elasticsearch write",
	"check.nfs.exports.applied":       "Exports are applied (exportfs -ra)",
	"check.nfs.repo.path":             "Repository path exists",
	"check.nfs.repo.fs":               "Filesystem of the repository",
	"check.nfs.repo.esuser":           "Elasticsearch uid",
	"check.nfs.repo.owner":            "Owner of the repository and its files",
	"check.nfs.repo.nfs-options":      "NFS mount options",
	"check.nfs.repo.writable":         "Elasticsearch can write the repository",
	"check.nfs.repo.space":            "Free space and inodes",
	"check.nfs.repo.fstab":            "Mounted again after a reboot",
	"check.nfs.nfs.server.resolve":    "NFS server name resolves",
	"check.nfs.nfs.server.portmapper": "Portmapper (rpcbind) answers",
	"check.nfs.nfs.server.nfs":        "NFS service answers",
	"check.nfs.nfs.server.mountd":     "mountd answers",
	"check.nfs.nfs.server.exports":    "Export list contains the path",
	"check.nfs.nfs.server.mount":      "Server lets this host mount the export",
	"check.nfs.nfs.server.write":      "Elasticsearch's uid can write over NFS",

	"ev.sep":         ": ",
	"ev.start":       "start",
	"ev.done":        "done",
	"ev.error":       "failed",
	"ev.request":     "request",
	"ev.check":       "check",
	"ev.warn":        "WARNING",
	"ev.errorlevel":  "ERROR",
	"ev.status.ok":   "ok",
	"ev.status.warn": "warning",
	"ev.status.fail": "failed",
}

var zh = map[string]string{
	"app.title":   "esmigrate",
	"step.1":      "连接",
	"step.2":      "预检",
	"step.3":      "快照仓库",
	"step.4":      "选择索引",
	"step.5":      "确认",
	"step.6":      "迁移",
	"step.7":      "报告",
	"step.of":     "第 %d 步，共 %d 步",
	"role.source": "源集群",
	"role.target": "目标集群",

	"key.quit":     "退出",
	"key.help":     "更多按键",
	"key.back":     "返回",
	"key.next":     "继续",
	"key.redraw":   "重绘",
	"key.up":       "上",
	"key.down":     "下",
	"key.test":     "测试连接",
	"key.edit":     "编辑",
	"key.rerun":    "重新检查",
	"key.expand":   "详情",
	"key.ack":      "接受警告",
	"key.copy":     "复制 (OSC 52)",
	"key.save":     "保存到文件",
	"key.distro":   "rhel/debian",
	"key.panel":    "检查/命令",
	"key.toggle":   "选择",
	"key.all":      "全选当前显示",
	"key.glob":     "按模式选择",
	"key.sort":     "排序列",
	"key.reverse":  "反向排序",
	"key.hidden":   "系统/隐藏索引",
	"key.options":  "恢复选项",
	"key.clear":    "清除过滤",
	"key.start":    "开始迁移",
	"key.scroll":   "滚动",
	"key.stop":     "停止跟踪",
	"key.cleanup":  "清理",
	"key.finish":   "完成",
	"key.pgup":     "上一页",
	"key.pgdown":   "下一页",
	"key.saveplan": "保存计划",
	"key.yes":      "是",
	"key.no":       "否",
	"key.log":      "日志",
	"key.cancel":   "取消",
	"key.accept":   "接受",
	"key.choose":   "选择选项",

	"key.resume":    "继续迁移",
	"key.startover": "重新开始",
	"key.new":       "新的迁移",

	"connect.url":           "节点地址",
	"connect.url.desc":      "以 http:// 或 https:// 开头，例如 http://10.0.0.5:9200",
	"connect.auth":          "认证方式",
	"connect.auth.none":     "无",
	"connect.auth.basic":    "用户名和密码",
	"connect.auth.apikey":   "API 密钥",
	"connect.user":          "用户名",
	"connect.password":      "密码（不显示，不保存）",
	"connect.apikey":        "API 密钥（id:key 或 base64，不保存）",
	"connect.ca":            "CA 证书文件（PEM，可选）",
	"connect.insecure":      "跳过 TLS 证书校验？",
	"connect.insecure.desc": "不推荐：中间人可以读取通信内容",
	"connect.url.missing":   "请输入节点地址",
	"connect.url.scheme":    "必须以 http:// 或 https:// 开头",
	"connect.testing":       "正在连接 %s…",
	"connect.ok":            "%s：集群 %q，%s %s，健康状态 %s，%d 个节点",
	"connect.fail":          "%s：无法连接（原因为英文）",
	"connect.fix":           "解决办法（英文）：%s",
	"connect.same":          "源集群和目标集群是同一个集群（uuid %s）：请填写目标集群的地址",
	"connect.hint.form":     "填写两个集群。回车进入下一项；ctrl+t 立即测试连接。",
	"connect.hint.done":     "两个集群都已连通。回车：继续 · e：编辑",
	"connect.hint.failed":   "请修正连接后重试。e：编辑 · ctrl+t：再次测试",
	"connect.prefilled":     "已从 %s 预填。",

	"pf.title":            "预检",
	"pf.location":         "仓库目录（下一步可修改）：源 %s，目标 %s",
	"pf.running":          "正在检查…",
	"pf.summary":          "%d 项通过，%d 项警告，%d 项失败",
	"pf.blocked":          "有检查失败：按详情中的办法修复后，按 r 重新检查。",
	"pf.needack":          "有警告：阅读后按 a 接受并继续。",
	"pf.acked":            "已接受警告。",
	"pf.ready":            "全部检查通过。回车：继续",
	"pf.go":               "回车：继续",
	"pf.evidence":         "详情（英文）：%s",
	"pf.fix":              "解决办法（英文）：%s",
	"pf.title.en":         "英文原文：%s",
	"pf.commands":         "NFS 与 path.repo 配置命令（%s）",
	"pf.commands.missing": "请填写 NFS 服务器和节点（按 e）以生成配置命令。原因（英文）：%s",
	"pf.copied":           "已复制 %d 字节到剪贴板（OSC 52：需要终端允许）。",
	"pf.saved":            "已保存到 %s（权限 0600）。运行前请先阅读。",
	"pf.savefail":         "无法保存（英文原因）：%s",
	"pf.nfs.title":        "用于生成配置命令的 NFS 信息",
	"pf.nfs.server":       "NFS 服务器（主机名或地址）",
	"pf.nfs.export":       "服务器上共享的目录",
	"pf.nfs.mount":        "各节点上的挂载点（写入 path.repo）",
	"pf.nfs.clients":      "Elasticsearch 节点（用空格分隔）",
	"pf.nfs.uid":          "Elasticsearch 运行用户的 uid:gid",
	"pf.nfs.uid.bad":      "请写成 uid:gid，例如 1000:1000",

	"repo.title":        "快照仓库",
	"repo.loading":      "正在读取两个集群的快照仓库…",
	"repo.existing":     "已有的仓库",
	"repo.none":         "（无）",
	"repo.snapshots":    "%d 个快照",
	"repo.choose":       "源集群的仓库",
	"repo.new":          "新建一个",
	"repo.use":          "使用 %s（%s）",
	"repo.name":         "新仓库的名称",
	"repo.location":     "源集群节点上的目录（在 path.repo 之内）",
	"repo.storage":      "目标集群能看到同一个存储吗？",
	"repo.shared":       "同一个共享：在目标集群上只读注册，不复制",
	"repo.copy":         "不同的共享：把仓库复制到目标集群的共享",
	"repo.tlocation":    "目标集群节点上的目录（在 path.repo 之内）",
	"repo.slocal":       "本机看到的源共享路径（留空：相同路径）",
	"repo.tlocal":       "本机看到的目标共享路径（留空：相同路径）",
	"repo.snapthrottle": "每个节点的快照限速（例如 100mb；留空：默认）",
	"repo.restthrottle": "每个节点的恢复限速（例如 100mb；留空：默认）",
	"repo.copythrottle": "复制带宽（例如 100mb；留空：不限）",
	"repo.size.bad":     "不是大小：请写成 100mb 或 1gb 这样的形式",
	"repo.abs":          "必须是绝对路径",
	"repo.verifying":    "正在两个集群上注册并验证仓库…",
	"repo.plan":         "%s 位于 %s → %s（%s）",
	"repo.mode.shared":  "共享，目标集群只读",
	"repo.mode.copy":    "复制到目标集群的共享",
	"repo.pathrepo":     "path.repo：源 %s · 目标 %s",
	"repo.readonly":     "只读",

	"ix.title":         "要迁移的索引",
	"ix.loading":       "正在读取源集群的索引…",
	"ix.filter":        "过滤：",
	"ix.filter.ph":     "输入文字即可过滤",
	"ix.col.name":      "名称",
	"ix.col.health":    "健康",
	"ix.col.status":    "状态",
	"ix.col.docs":      "文档数",
	"ix.col.size":      "主分片大小",
	"ix.col.shards":    "分片",
	"ix.col.aliases":   "别名",
	"ix.shown":         "显示 %d / %d",
	"ix.hiddenon":      "显示系统/隐藏索引",
	"ix.hiddenoff":     "不显示系统/隐藏索引",
	"ix.totals":        "已选：%d 个索引，%s，%s 个文档，%d 个主分片",
	"ix.batches":       "每批不超过 %s：共 %d 批（最大 %s）",
	"ix.none":          "请至少选择一个索引（空格）。",
	"ix.closed":        "选中了 %d 个已关闭的索引：它们会被跳过（快照无法读取已关闭的索引）",
	"ix.glob":          "按模式选择（例如 logs-2026.*）：",
	"ix.glob.done":     "模式 %q 选中了 %d 个索引。",
	"ix.opts.title":    "恢复选项",
	"ix.opts.renamep":  "重命名：正则表达式（留空：保持原名）",
	"ix.opts.renamer":  "重命名：替换为，例如 migrated-$1",
	"ix.opts.replicas": "恢复期间的副本数（0 最快；-1 保持快照中的值）",
	"ix.opts.putback":  "校验后恢复原来的副本数？",
	"ix.opts.aliases":  "恢复别名？",
	"ix.opts.global":   "恢复全局状态（模板、设置）？通常不需要。",
	"ix.opts.batch":    "每批最大主分片数据量，例如 50gb",
	"ix.opts.int":      "请输入 -1 或更大的整数",
	"ix.opts.regex":    "不是正则表达式：%s",
	"ix.opts.pair":     "模式和替换要么都填，要么都不填",
	"ix.opts.summary":  "恢复：副本 %s · 别名 %s · 全局状态 %s · 重命名 %s",
	"ix.keep":          "保持",
	"ix.on":            "是",
	"ix.off":           "否",

	"rv.title":      "确认",
	"rv.checking":   "正在对照目标集群检查所选索引（名称、版本、插件、磁盘、分片）…",
	"rv.plan":       "计划",
	"rv.p.clusters": "把 %d 个索引（主分片数据 %s）从 %s 迁移到 %s。",
	"rv.p.repo":     "仓库 %s：源集群把快照写入 %s；%s。",
	"rv.p.shared":   "目标集群读取同一个共享，只读注册",
	"rv.p.copy":     "esmigrate 把文件复制到 %s 供目标集群使用",
	"rv.p.batches":  "共 %d 批，每批：快照 → 传输 → 恢复 → 校验。",
	"rv.p.batch":    "  第 %d 批：%d 个索引，%s：%s",
	"rv.p.rename":   "索引将被重命名：%s → %s（例如 %s → %s）。",
	"rv.p.state":    "进度保存在 %s；报告写入 %s。",
	"rv.conflicts":  "冲突与检查",
	"rv.noconflict": "没有发现冲突。",
	"rv.requests":   "会改变集群的请求（curl 形式，说明为英文）",
	"rv.confirm":    "现在开始迁移吗？源集群只会被读取；目标集群会新建索引。(y/n)",
	"rv.blocked":    "有检查失败：返回（esc）修改所选索引或修复目标集群。",
	"rv.needack":    "有警告：阅读后按 a 接受。",
	"rv.ready":      "准备就绪。回车：开始迁移",
	"rv.plansaved":  "计划已保存到 %s。",

	"run.title":          "迁移",
	"run.starting":       "正在启动…",
	"run.overall":        "总进度",
	"run.batch":          "第 %d/%d 批",
	"run.phase.snapshot": "快照",
	"run.phase.transfer": "传输",
	"run.phase.restore":  "恢复",
	"run.phase.verify":   "校验",
	"run.phase.cleanup":  "清理",
	"run.elapsed":        "已用 %s",
	"run.eta":            "剩余 %s",
	"run.log":            "事件（说明文字为英文）",
	"run.stop.title":     "停止跟踪迁移？",
	"run.stop.body":      "Elasticsearch 会继续完成已经开始的工作（快照或恢复会在集群中继续进行）。esmigrate 把状态保存在 %s；之后运行 `esmigrate resume --state %s` 即可从停止处继续。",
	"run.stop.ask":       "现在停止？(y/n)",
	"run.stopping":       "正在停止：保存状态…",
	"run.stopped":        "已停止。运行 `esmigrate resume --state %s` 继续。",
	"run.failed":         "迁移因错误停止（详情为英文）：",
	"run.preflight":      "运行前的预检发现问题（详情为英文）：",
	"run.acceptrestart":  "只有警告：按 a 接受并重新开始，按 esc 返回。",
	"run.done":           "完成：%d 个校验通过，%d 个不一致，%d 个失败。回车：查看报告",
	"run.quitdone":       "q：退出",
	"run.shards":         "%d/%d 个分片",
	"run.files":          "%d/%d 个文件",

	"run.phase.connect":    "连接",
	"run.phase.preflight":  "预检",
	"run.phase.repository": "快照仓库",
	"run.phase.plan":       "计划",
	"run.phase.report":     "报告",

	"rep.title":        "报告",
	"rep.result":       "%d 个校验通过，%d 个不一致，%d 个失败，%d 个未完成，共 %d 批",
	"rep.col.index":    "索引",
	"rep.col.docs":     "文档数 源 → 目标",
	"rep.col.size":     "大小",
	"rep.col.time":     "耗时",
	"rep.col.result":   "结果",
	"rep.files":        "报告文件：%s，%s",
	"rep.nofiles":      "没有写出报告文件。",
	"rep.cleanup":      "清理（每一项都会删除内容；需要输入确认）：",
	"rep.c.snapshots":  "删除本次迁移的快照（通过源集群）",
	"rep.c.files":      "删除 %s 中复制的文件",
	"rep.c.repos":      "在两个集群上注销仓库（文件保留）",
	"rep.c.type":       "输入 %q 以确认：%s",
	"rep.c.mismatch":   "输入的不是 %q；没有删除任何内容",
	"rep.c.running":    "正在清理…",
	"rep.c.done":       "完成：%s。",
	"rep.c.failed":     "清理失败（英文原因）：%s",
	"rep.c.none":       "尚未选择（按 1、2、3 选择）",
	"rep.res.verified": "一致",
	"rep.res.mismatch": "不一致",
	"rep.res.failed":   "失败",
	"rep.res.pending":  "未完成",
	"rep.resume":       "有未完成的索引：运行 `esmigrate resume --state %s` 继续。",
	"rep.earlier":      "这次迁移已经完成（状态文件 %s，保存于 %s）。n：开始新的迁移",
	"rep.files1":       "报告文件：%s",

	"rs.title":       "未完成的迁移",
	"rs.state":       "状态文件 %s 中有一次尚未完成的迁移（最后保存于 %s）。",
	"rs.l.repo":      "快照仓库",
	"rs.l.batches":   "批次",
	"rs.l.stopped":   "停在",
	"rs.l.error":     "上次的错误（英文）",
	"rs.repo":        "%s（%s）",
	"rs.batches":     "已完成 %d / %d 批",
	"rs.stopped":     "第 %d/%d 批：%s",
	"rs.notstarted":  "第一批开始之前",
	"rs.resume":      "继续迁移\t从停止处继续：已完成的阶段不会重做，Elasticsearch 中仍在进行的快照或恢复会被继续跟踪",
	"rs.startover":   "重新开始\t开始一次新的迁移；不会删除任何内容",
	"rs.pw.why":      "迁移要以这些用户连接集群；esmigrate 从不保存密码。",
	"rs.pw":          "%s 在%s上的密码（不显示）",
	"rs.so.title":    "重新开始：不会删除任何内容。",
	"rs.so.other":    "如果要保留这个状态文件：退出（ctrl+c），然后用另一个状态文件启动 esmigrate，例如 --state %s",
	"rs.so.move":     "或者把它（连同上一个版本）移到 %s，然后在这里开始新的迁移。",
	"rs.so.type":     "输入 %q 以移走它（esc：返回）：",
	"rs.so.mismatch": "输入的不是 %q；没有移动任何文件",
	"rs.so.moved":    "已把旧的状态文件 %s 移到 %s。",
	"rs.so.failed":   "无法移动（英文原因）：%s",

	"misc.yes":      "是",
	"misc.no":       "否",
	"misc.error":    "错误（英文）：%s",
	"misc.fix":      "解决办法（英文）：%s",
	"misc.toosmall": "终端大小为 %dx%d；esmigrate 至少需要 80x24。",
	"misc.loading":  "正在加载…",
	"misc.quit.ask": "退出向导？尚未开始任何操作。(y/n)",

	"check.compat-versions":    "快照版本兼容性",
	"check.health-source":      "源集群的健康状态",
	"check.health-target":      "目标集群的健康状态",
	"check.path-repo-source":   "源集群每个节点的 path.repo 都包含仓库目录",
	"check.path-repo-target":   "目标集群每个节点的 path.repo 都包含仓库目录",
	"check.verify-repo-source": "源集群每个节点都能访问快照仓库",
	"check.verify-repo-target": "目标集群每个节点都能访问快照仓库",
	"check.shares-visible":     "本机能看到两个共享（用于复制）",
	"check.shares-distinct":    "源共享和目标共享是不同的目录",
	"check.shares-same":        "共享存储是同一个目录",
	"check.share-source":       "本机上的源共享",
	"check.share-target":       "本机上的目标共享",
	"check.selection":          "所选索引",
	"check.skipped":            "被跳过的索引",
	"check.red-indices":        "所选索引状态健康",
	"check.compat-indices":     "每个索引都能恢复到目标集群",
	"check.rename-collisions":  "重命名后每个索引的名称各不相同",
	"check.conflicts":          "目标集群上没有挡路的同名索引",
	"check.plugins":            "目标集群有索引所需的插件",
	"check.analysis-files":     "索引读取的分析文件",
	"check.target-disk":        "目标集群磁盘空间",
	"check.target-shards":      "目标集群分片上限",
	"check.source-busy":        "源集群上已有正在进行的快照",

	"check.lifecycle":                "恢复后索引的生命周期策略",
	"check.lifecycle-delete":         "没有恢复后的索引会被生命周期策略立即删除",
	"check.lifecycle-rollover":       "没有恢复后的索引会被生命周期策略立即滚动（rollover）",
	"check.lifecycle-missing-policy": "恢复后索引的生命周期策略在目标集群上存在",
	"check.reindex-module":           "目标集群有 reindex 模块",
	"check.reindex-whitelist":        "目标集群允许从源集群 reindex（reindex.remote.whitelist）",

	"check.share-source-": "源共享：%s",
	"check.share-target-": "目标共享：%s",
	"check.nfs-server-":   "NFS 服务器：%s",

	"check.nfs.exports.syntax":        "exports 文件可以解析",
	"check.nfs.exports.path":          "该路径已导出（export）",
	"check.nfs.exports.rw":            "导出为读写",
	"check.nfs.exports.sync":          "导出同步提交写入（sync）",
	"check.nfs.exports.squash":        "用户映射（squash）允许 Elasticsearch 写入",
	"check.nfs.exports.applied":       "导出配置已生效（exportfs -ra）",
	"check.nfs.repo.path":             "仓库路径存在",
	"check.nfs.repo.fs":               "仓库所在的文件系统",
	"check.nfs.repo.esuser":           "Elasticsearch 的 uid",
	"check.nfs.repo.owner":            "仓库及其文件的属主",
	"check.nfs.repo.nfs-options":      "NFS 挂载选项",
	"check.nfs.repo.writable":         "Elasticsearch 可以写入仓库",
	"check.nfs.repo.space":            "剩余空间和 inode",
	"check.nfs.repo.fstab":            "重启后会再次挂载",
	"check.nfs.nfs.server.resolve":    "NFS 服务器名称可以解析",
	"check.nfs.nfs.server.portmapper": "Portmapper（rpcbind）有响应",
	"check.nfs.nfs.server.nfs":        "NFS 服务有响应",
	"check.nfs.nfs.server.mountd":     "mountd 有响应",
	"check.nfs.nfs.server.exports":    "导出列表包含该路径",
	"check.nfs.nfs.server.mount":      "服务器允许本机挂载该导出",
	"check.nfs.nfs.server.write":      "Elasticsearch 的 uid 可以通过 NFS 写入",

	"ev.sep":         "：",
	"ev.start":       "开始",
	"ev.done":        "完成",
	"ev.error":       "失败",
	"ev.request":     "请求",
	"ev.check":       "检查",
	"ev.warn":        "警告",
	"ev.errorlevel":  "错误",
	"ev.status.ok":   "通过",
	"ev.status.warn": "警告",
	"ev.status.fail": "失败",
}

// Catalogue translates keys for one language.
type Catalogue struct{ lang string }

// NewCatalogue returns the catalogue of a language ("en" or "zh"; anything else is English).
func NewCatalogue(lang string) Catalogue {
	if _, ok := catalogue[lang]; !ok {
		lang = "en"
	}
	return Catalogue{lang: lang}
}

// Has tells whether the catalogue has a message for key (in its language or in English).
func (c Catalogue) Has(key string) bool {
	if _, ok := catalogue[c.lang][key]; ok {
		return true
	}
	_, ok := en[key]
	return ok
}

// Lang is the catalogue's language.
func (c Catalogue) Lang() string { return c.lang }

// T returns the message of key, formatted with args. A missing key shows itself (and fails the catalogue test).
func (c Catalogue) T(key string, args ...any) string {
	s, ok := catalogue[c.lang][key]
	if !ok {
		if s, ok = en[key]; !ok {
			return "!" + key
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// DetectLang chooses the language: the flag, else LC_ALL, LC_MESSAGES, LANG (zh_* → Chinese), else English.
func DetectLang(flag string, getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if flag != "" {
		if strings.HasPrefix(strings.ToLower(flag), "zh") {
			return "zh"
		}
		return "en"
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

// DetectUTF8 tells whether the locale says the terminal takes UTF-8 (LC_ALL, LC_CTYPE, LANG, first set wins).
// Without any locale we assume it does not, and draw with ASCII.
func DetectUTF8(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if s := strings.ToLower(getenv(v)); s != "" {
			return strings.Contains(s, "utf-8") || strings.Contains(s, "utf8")
		}
	}
	return false
}

// checkFamilies are the check ids made of a prefix and an nfs check id (steps/preflight.go).
var checkFamilies = []string{"share-source-", "share-target-", "nfs-server-"}

// checkTitle is a check's title in the catalogue's language: by its id, the families by their prefix and the
// nfs check's id. English, and a check the catalogue does not know, keep the engine's title (it names the
// directory, the repository, the host).
func (c *Common) checkTitle(ch steps.Check) string {
	if c.Cat.Lang() == "en" {
		return ch.Title
	}
	if k := "check." + ch.ID; c.Cat.Has(k) {
		return c.T(k)
	}
	for _, fam := range checkFamilies {
		if sub, ok := strings.CutPrefix(ch.ID, fam); ok && c.Cat.Has("check.nfs."+sub) {
			return c.T("check."+fam, c.T("check.nfs."+sub))
		}
	}
	return ch.Title
}

// eventText is one line of the run's log. English is the engine's own line (the same as the headless mode
// prints); other languages name the batch, the phase and the kind from the catalogue and keep the engine's
// message, in English (the log's title says so).
func (c *Common) eventText(e steps.Event) string {
	if c.Cat.Lang() == "en" {
		return e.String()
	}
	where := c.T("run.phase." + string(e.Phase))
	if e.Batch > 0 {
		where = c.T("run.batch", e.Batch, e.Batches) + " " + where
	}
	if e.Index != "" {
		where += " " + e.Index
	}
	sep := c.T("ev.sep")
	var what []string
	switch e.Kind {
	case steps.KindProgress:
		what = append(what, fmt.Sprintf("%.0f%%", 100*e.Fraction()))
	case steps.KindCheck:
		if e.Check != nil {
			what = append(what, c.T("ev.check"), c.T("ev.status."+string(e.Check.Status))+" "+c.checkTitle(*e.Check))
			if e.Check.Evidence != "" {
				what = append(what, e.Check.Evidence)
			}
		}
	case steps.KindRequest:
		what = append(what, c.T("ev.request"))
		if e.Message != "" {
			what = append(what, e.Message)
		}
		what = append(what, e.Curl)
	case steps.KindStart, steps.KindDone, steps.KindError:
		what = append(what, c.T("ev."+string(e.Kind)))
	}
	switch e.Level {
	case steps.LevelWarn:
		what = append(what, c.T("ev.warn"))
	case steps.LevelError:
		if e.Kind != steps.KindError {
			what = append(what, c.T("ev.errorlevel"))
		}
	}
	if e.Message != "" && e.Kind != steps.KindRequest {
		what = append(what, e.Message)
	}
	return where + sep + strings.Join(what, sep)
}
