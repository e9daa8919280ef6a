package org.elasticsearch.node;

import java.util.Collection;

import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * esmigrate test runner: an Elasticsearch 8 node whose plugins are classes on the class path. Since 8.x a node is
 * built by NodeConstruction with a NodeServiceProvider, both package-private, hence this package.
 */
public class ClasspathPluginsNode extends Node {

    public ClasspathPluginsNode(final Environment environment, final Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(environment, ClasspathPluginsService.emptyLoader(),
            new NodeServiceProvider() {
                @Override
                PluginsService newPluginService(final Environment env, final PluginsLoader loader) {
                    return new ClasspathPluginsService(env.settings(), env.configDir(), plugins);
                }
            }, true));
    }

    @Override
    protected void configureNodeAndClusterIdStateListener(final ClusterService clusterService) {
        // the listener puts node and cluster ids into log4j once per JVM; with several nodes here it would throw
    }
}
