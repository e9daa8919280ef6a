package org.elasticsearch.plugins;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.Version;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;

/**
 * esmigrate test runner: a PluginsService whose plugins are classes on the class path (the modules Elastic
 * publishes on Maven Central) instead of bundles under modules/ and plugins/. It lives in this package because
 * the pieces it needs (loadPlugin, LoadedPlugin) are package-private; on the class path that is allowed.
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;
    private final PluginsAndModules classpathInfo;

    public ClasspathPluginsService(
        final Settings settings,
        final Path configPath,
        final Collection<Class<? extends Plugin>> pluginClasses
    ) {
        super(settings, configPath, emptyLoader());
        final List<LoadedPlugin> loaded = new ArrayList<>();
        final List<PluginRuntimeInfo> infos = new ArrayList<>();
        for (final Class<? extends Plugin> pluginClass : pluginClasses) {
            final Plugin plugin = loadPlugin(pluginClass, settings, configPath);
            final PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getName(), "classpath plugin", "NA", Version.CURRENT.toString(),
                Integer.toString(Runtime.version().feature()), pluginClass.getName(), null, List.of(),
                false, false, false, false);
            loaded.add(new LoadedPlugin(descriptor, plugin, pluginClass.getClassLoader()));
            infos.add(new PluginRuntimeInfo(descriptor));
        }
        loadExtensions(loaded);
        this.classpathPlugins = List.copyOf(loaded);
        this.classpathInfo = new PluginsAndModules(infos, List.of());
    }

    /** A loader with no modules and no plugins. */
    public static PluginsLoader emptyLoader() {
        return PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false);
    }

    @Override
    protected final List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }

    @Override
    public PluginsAndModules info() {
        return classpathInfo;
    }
}
