package esmigrate.testenv;

import static org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner.newConfigs;

import java.nio.file.Paths;

import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

/**
 * Starts a real Elasticsearch cluster in this JVM with codelibs' cluster runner and keeps it up until the
 * process is stopped. Each node reads node_N/config/elasticsearch.yml under the base path, which
 * testenv/cluster.sh writes beforehand: that is where path.repo lives, as on a real installation.
 *
 * Arguments: clusterName basePath httpPort [numOfNodes [onlyNode]]. Node N listens on httpPort+N-1.
 *
 * With onlyNode, this JVM runs that one node of the cluster (its data, config and logs still in
 * basePath/node_N), and the other nodes run in JVMs of their own: a node with a JVM of its own can be started in
 * a mount namespace of its own (unshare --mount), where a share the others see is not mounted. Node 1 is the
 * only master-eligible node, so that the master, which writes the file every node must read when a repository
 * is verified, is always the node that sees the shares.
 */
public final class EsRunner {
    public static void main(final String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EsRunner clusterName basePath httpPort [numOfNodes [onlyNode]]");
            System.exit(2);
        }
        final String clusterName = args[0];
        final String basePath = args[1];
        final int httpPort = Integer.parseInt(args[2]);
        final int nodes = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        final int only = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        final int transportBase = httpPort + 100;

        final ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("close: " + e);
            }
        }));
        runner.setMaxHttpPort(65535);
        runner.onBuild((index, settings) -> {
            // the runner numbers the nodes of this JVM from 1; with onlyNode its one node is that node
            final int number = only > 0 ? only : index;
            settings.put("http.host", "127.0.0.1");
            settings.put("transport.host", "127.0.0.1");
            settings.put("http.port", String.valueOf(httpPort + number - 1));
            settings.put("transport.port", String.valueOf(transportBase + number - 1));
            // keep the test clusters small and predictable on 2-core machines
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            settings.put("node.name", clusterName + "-" + number);
            final StringBuilder seeds = new StringBuilder();
            for (int i = 0; i < nodes; i++) {
                if (i > 0) seeds.append(',');
                seeds.append("127.0.0.1:").append(transportBase + i);
            }
            settings.putList("discovery.seed_hosts", seeds.toString().split(","));
            settings.putList("cluster.initial_master_nodes", clusterName + "-1");
            if (number == 1) {
                // the roles of a default 7.10 node; the runner's default would be master and data only (no ingest)
                settings.putList("node.roles", "master", "data", "ingest", "remote_cluster_client");
            } else {
                settings.putList("node.roles", "data", "ingest", "remote_cluster_client");
            }
            if (only > 0) {
                final String home = Paths.get(basePath, "node_" + number).toString();
                settings.put("path.data", Paths.get(home, "data").toString());
                settings.put("path.logs", Paths.get(home, "logs").toString());
            }
            if (nodes > 1) {
                // the nodes start one after the other (or in other JVMs), and a node would wait 30s for an
                // elected master; the runner waits for yellow afterwards anyway
                settings.put("discovery.initial_state_timeout", "0s");
            }
        });
        if (only > 0) {
            // One node: its config is node_N/config (elasticsearch.yml, written by cluster.sh); the runner's own
            // home for it is a directory of its own, so that two JVMs never share one.
            runner.build("-clusterName", clusterName, "-numOfNode", "1", "-basePath", Paths.get(basePath, "jvm_" + only).toString(),
                "-confPath", Paths.get(basePath, "node_" + only, "config").toString(), "-baseHttpPort", String.valueOf(httpPort - 1));
        } else {
            runner.build(newConfigs().clusterName(clusterName).numOfNode(nodes).basePath(basePath).baseHttpPort(httpPort - 1));
        }
        System.out.println("esrunner: cluster " + clusterName + " started on 127.0.0.1:" + httpPort
            + (only > 0 ? " (node " + only + " of " + nodes + " in this JVM)" : ""));
        runner.ensureYellow();
        System.out.println("esrunner: cluster " + clusterName + " is yellow or green");
        while (!runner.isClosed()) {
            Thread.sleep(2000);
        }
    }
}
