package esmigrate.testenv;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.health.ClusterHealthResponse;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathPluginsNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * Starts a real Elasticsearch 8 cluster in this JVM and keeps it up until the process is stopped (SIGTERM closes
 * the nodes in a shutdown hook). Only the server and the netty4 transport module are published on Maven Central
 * for 8.x, so this node has no reindex, mapper-extras, parent-join, analysis-common, painless nor x-pack: plain
 * HTTP, no security, snapshot/restore with fs repositories (that is in the server).
 *
 * Arguments: clusterName basePath httpPort [numOfNodes]. Node N lives in basePath/node_N, reads
 * basePath/node_N/config/elasticsearch.yml (written beforehand by testenv/cluster.sh: path.repo, ...), is named
 * clusterName-N and listens on 127.0.0.1:httpPort+N-1 (HTTP) and 127.0.0.1:httpPort+100+N-1 (transport).
 */
public final class EsRunner {

    /** All that Elastic publishes on Maven Central for 8.x (netty4), and GET / (see RootPlugin). */
    static final List<Class<? extends Plugin>> PLUGINS = List.of(Netty4Plugin.class, RootPlugin.class);

    public static void main(final String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EsRunner clusterName basePath httpPort [numOfNodes]");
            System.exit(2);
        }
        // as Elasticsearch's jvm.options: the nodes, not log4j's own hook, decide when logging ends
        System.setProperty("log4j.shutdownHookEnabled", "false");
        System.setProperty("log4j2.disable.jmx", "true");
        final String clusterName = args[0];
        final Path basePath = Paths.get(args[1]).toAbsolutePath();
        final int httpPort = Integer.parseInt(args[2]);
        final int count = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        final int transportBase = httpPort + 100;

        final List<Node> nodes = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            final List<Node> copy;
            synchronized (nodes) {
                copy = new ArrayList<>(nodes);
            }
            Collections.reverse(copy);
            for (final Node node : copy) {
                try {
                    node.close();
                    node.awaitClose(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (final Exception e) {
                    System.err.println("esrunner: close: " + e);
                }
            }
            stopped.countDown();
        }, "esrunner-shutdown"));

        final String[] seeds = new String[count];
        final String[] masters = new String[count];
        for (int i = 0; i < count; i++) {
            seeds[i] = "127.0.0.1:" + (transportBase + i);
            masters[i] = clusterName + "-" + (i + 1);
        }

        for (int number = 1; number <= count; number++) {
            final Path home = basePath.resolve("node_" + number);
            final Path config = home.resolve("config");
            for (final String dir : new String[] { "config", "data", "logs", "modules", "plugins" }) {
                Files.createDirectories(home.resolve(dir));
            }
            writeLogConfig(config);
            final String nodeName = clusterName + "-" + number;
            final Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("cluster.name", clusterName)
                .put("node.name", nodeName)
                .put("http.host", "127.0.0.1")
                .put("transport.host", "127.0.0.1")
                .put("http.port", String.valueOf(httpPort + number - 1))
                .put("transport.port", String.valueOf(transportBase + number - 1))
                // keep the test clusters small and predictable on 2-core machines
                .put("cluster.routing.allocation.disk.threshold_enabled", "false")
                .putList("discovery.seed_hosts", seeds)
                .putList("cluster.initial_master_nodes", masters)
                .build();
            // reads config/elasticsearch.yml; the settings above win over the file, as with codelibs' runner
            final Environment environment =
                InternalSettingsPreparer.prepareEnvironment(settings, Collections.emptyMap(), config, () -> nodeName);
            if (number == 1) {
                // log4j is per JVM: configure it once, from the first node's config dir (logs go to node_1/logs)
                // (%node_name in the pattern is the node for a 1-node cluster, else the cluster; thread names
                // such as elasticsearch[source-2][generic][T#1] tell the nodes apart)
                LogConfigurator.registerErrorListener();
                LogConfigurator.setNodeName(count == 1 ? nodeName : clusterName);
                LogConfigurator.configure(environment, true);
            }
            nodes.add(new ClasspathPluginsNode(environment, PLUGINS));
        }

        // Start the nodes side by side: with several master-eligible nodes, Node.start() of the first waits for
        // an elected master, which needs the others to be up too.
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> starters = new ArrayList<>();
        for (final Node node : new ArrayList<>(nodes)) {
            final Thread t = new Thread(() -> {
                try {
                    node.start();
                } catch (final Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "esrunner-start-" + node.settings().get("node.name"));
            t.start();
            starters.add(t);
        }
        for (final Thread t : starters) {
            t.join();
        }
        if (failure.get() != null) {
            System.err.println("esrunner: a node failed to start: " + failure.get());
            failure.get().printStackTrace();
            System.exit(1);
        }
        System.out.println("esrunner: cluster " + clusterName + " (Elasticsearch " + Build.current().version() + ", " + count
            + " node(s)) started on 127.0.0.1:" + httpPort);

        while (true) {
            final ClusterHealthResponse health = nodes.get(0).client().admin().cluster().prepareHealth(TimeValue.timeValueSeconds(30))
                .setWaitForYellowStatus()
                .setWaitForNodes(String.valueOf(count))
                .setTimeout(TimeValue.timeValueSeconds(30))
                .get();
            if (!health.isTimedOut()) {
                break;
            }
            System.out.println("esrunner: waiting for cluster " + clusterName + " (status " + health.getStatus()
                + ", " + health.getNumberOfNodes() + " node(s))");
        }
        System.out.println("esrunner: cluster " + clusterName + " is yellow or green");
        stopped.await();
    }

    /** Writes config/log4j2.properties unless the operator put one there. */
    static void writeLogConfig(final Path config) throws IOException {
        final Path file = config.resolve("log4j2.properties");
        if (Files.exists(file)) {
            return;
        }
        try (InputStream in = EsRunner.class.getResourceAsStream("/esmigrate-log4j2.properties")) {
            Files.copy(in, file);
        }
    }
}
