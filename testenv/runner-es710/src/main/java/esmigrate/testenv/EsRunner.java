package esmigrate.testenv;

import static org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner.newConfigs;

import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

/**
 * Starts a real Elasticsearch cluster in this JVM with codelibs' cluster runner and keeps it up until the
 * process is stopped. Each node reads node_N/config/elasticsearch.yml under the base path, which
 * testenv/cluster.sh writes beforehand: that is where path.repo lives, as on a real installation.
 *
 * Arguments: clusterName basePath httpPort [numOfNodes]. Node N listens on httpPort+N-1.
 */
public final class EsRunner {
    public static void main(final String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EsRunner clusterName basePath httpPort [numOfNodes]");
            System.exit(2);
        }
        final String clusterName = args[0];
        final String basePath = args[1];
        final int httpPort = Integer.parseInt(args[2]);
        final int nodes = args.length > 3 ? Integer.parseInt(args[3]) : 1;
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
        runner.onBuild((number, settings) -> {
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
            final String[] masters = new String[nodes];
            for (int i = 0; i < nodes; i++) masters[i] = clusterName + "-" + (i + 1);
            settings.putList("cluster.initial_master_nodes", masters);
            // the roles of a default 7.10 node; the runner's default would be master and data only (no ingest)
            settings.putList("node.roles", "master", "data", "ingest", "remote_cluster_client");
            if (nodes > 1) {
                // the runner starts the nodes one after the other, and the first would wait 30s for an elected
                // master, which needs the others; the runner waits for yellow afterwards anyway
                settings.put("discovery.initial_state_timeout", "0s");
            }
        }).build(newConfigs().clusterName(clusterName).numOfNode(nodes).basePath(basePath).baseHttpPort(httpPort - 1));
        System.out.println("esrunner: cluster " + clusterName + " started on 127.0.0.1:" + httpPort);
        runner.ensureYellow();
        System.out.println("esrunner: cluster " + clusterName + " is yellow or green");
        while (!runner.isClosed()) {
            Thread.sleep(2000);
        }
    }
}
