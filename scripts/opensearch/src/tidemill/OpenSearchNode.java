package tidemill;

import java.util.List;
import java.util.Map;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/** A real single-node OpenSearch (core + the netty4 HTTP transport) for tests, on loopback.
 *
 * <p>Usage: OpenSearchNode HOME HTTP_PORT. Prints STARTED once the REST API answers. */
public final class OpenSearchNode {
  private static final class Embedded extends Node {
    Embedded(Settings settings) {
      super(
          InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "tidemill"),
          List.of(Netty4Plugin.class),
          true);
    }
  }

  public static void main(String[] args) throws Exception {
    String home = args[0];
    Settings settings =
        Settings.builder()
            .put("path.home", home)
            .put("path.data", home + "/data")
            .put("path.logs", home + "/logs")
            .put("cluster.name", "tidemill-test")
            .put("node.name", "node-1")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.parseInt(args[1]))
            .put("transport.port", 0)
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
    Node node = new Embedded(settings);
    node.start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    node.close();
                  } catch (Exception ignored) {
                    // shutting down anyway
                  }
                }));
    System.out.println("STARTED");
    System.out.flush();
    Thread.currentThread().join();
  }
}
