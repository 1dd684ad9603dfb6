package tidemill;

import java.io.File;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real HDFS for tests in one JVM: Hadoop's MiniDFSCluster (a namenode and one datanode).
 *
 * <p>Usage: HdfsCluster DIR PORT. The cluster keeps its data under DIR (formatted on the first
 * start, reused after), its namenode listens on 127.0.0.1:PORT and every other port it opens is
 * a free loopback one. Prints STARTED once the namenode is out of safe mode with its datanode
 * registered, then runs until it is signalled. */
public final class HdfsCluster {
  public static void main(String[] args) throws Exception {
    File dir = new File(args[0]).getAbsoluteFile();
    int port = Integer.parseInt(args[1]);
    File formatted = new File(dir, "formatted");
    boolean fresh = !formatted.exists();
    Configuration conf = new Configuration();
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    conf.set("dfs.namenode.https-address", "127.0.0.1:0");
    conf.set("dfs.namenode.secondary.http-address", "127.0.0.1:0");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.setInt("dfs.replication", 1);
    conf.setLong("dfs.blocksize", 1024L * 1024); // small blocks: files of a few MiB span several
    conf.setInt("dfs.namenode.fs-limits.min-block-size", 1024);
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, dir)
            .nameNodePort(port)
            .numDataNodes(1)
            .format(fresh)
            .manageNameDfsDirs(true)
            .manageDataDfsDirs(true)
            .build();
    cluster.waitActive();
    if (fresh && !formatted.createNewFile()) {
      throw new IllegalStateException("cannot mark " + dir + " as formatted");
    }
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::shutdown));
    System.out.println("STARTED hdfs://127.0.0.1:" + cluster.getNameNodePort());
    System.out.flush();
    Thread.currentThread().join();
  }
}
