package riskgraph.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.ByteUnit;

/**
 * Starts a real Neo4j 5.26 in this JVM for riskgraph's Go tests.
 *
 * <p>Usage: {@code Main [port [data-dir [temp]]]}. Port 0 (or none) picks a free port. Without
 * a data directory the database lives in a fresh temporary directory; with one, a second run
 * with the same port and directory restarts the same database. The word {@code temp} after the
 * directory marks it as disposable: it is deleted when the server stops.
 *
 * <p>Only the newest transaction log file is kept. The page cache is 256 MiB unless the system property {@code riskgraph.pagecache.mb} says
 * otherwise. Bolt listens on 127.0.0.1 only, without authentication. When the database is ready the
 * program prints exactly one line {@code BOLT <uri>} on standard output. Standard input
 * controls the end:
 * <ul>
 *   <li>end of file: a clean shutdown, deleting disposable data (so a test process that dies
 *       takes the database down with it);
 *   <li>a line {@code KEEP}, then end of file: a clean shutdown that keeps the data, for a restart;
 *   <li>a line {@code DISCARD}: stop at once without a shutdown and delete the data.
 * </ul>
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        if (port == 0) {
            port = freePort();
        }
        Path work = Files.createTempDirectory("riskgraph-neo4j-");
        boolean disposable = args.length < 2 || (args.length > 2 && args[2].equals("temp"));
        Path data = args.length > 1 ? Paths.get(args[1]).toAbsolutePath() : work.resolve("data");
        Files.createDirectories(data);

        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(work)
                .withDisabledServer()
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .withConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .withConfig(GraphDatabaseSettings.auth_enabled, false)
                .withConfig(GraphDatabaseSettings.udc_enabled, false)
                .withConfig(GraphDatabaseSettings.data_directory, data)
                .withConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(Long.getLong("riskgraph.pagecache.mb", 256)))
                .withConfig(GraphDatabaseSettings.tx_state_max_off_heap_memory, ByteUnit.mebiBytes(256))
                // Keep only the newest transaction log file: a benchmark that wipes and imports
                // the 500k-relationship graph again and again otherwise keeps gigabytes of logs
                // per import (53 GB after a day of runs filled the disk).
                .withConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .build();

        Stopper stopper = new Stopper(neo4j, work, data, disposable);
        Runtime.getRuntime().addShutdownHook(new Thread(stopper::stop, "neo4j-testserver-stop"));

        System.out.println("BOLT " + neo4j.boltURI());
        System.out.flush();

        String command = readCommand(System.in);
        if (command.equals("DISCARD")) {
            deleteTree(work);
            deleteTree(data);
            Runtime.getRuntime().halt(0);
        }
        if (command.equals("KEEP")) {
            stopper.keepData();
        }
        stopper.stop();
        System.exit(0);
    }

    /** Shuts the database down once, then deletes what is disposable. */
    private static final class Stopper {
        private final Neo4j neo4j;
        private final Path work;
        private final Path data;
        private boolean disposable;
        private boolean done;

        Stopper(Neo4j neo4j, Path work, Path data, boolean disposable) {
            this.neo4j = neo4j;
            this.work = work;
            this.data = data;
            this.disposable = disposable;
        }

        synchronized void keepData() {
            disposable = false;
        }

        synchronized void stop() {
            if (done) {
                return;
            }
            done = true;
            neo4j.close();
            deleteTree(work);
            if (disposable) {
                deleteTree(data);
            }
        }
    }

    /**
     * Reads standard input to its end and returns the first command line (KEEP or DISCARD),
     * or "" at end of file. DISCARD is returned as soon as it is read.
     */
    private static String readCommand(InputStream in) {
        String command = "";
        StringBuilder line = new StringBuilder();
        try {
            int c;
            while ((c = in.read()) >= 0) {
                if (c != '\n') {
                    line.append((char) c);
                    continue;
                }
                String word = line.toString().trim();
                line.setLength(0);
                if (word.equals("DISCARD")) {
                    return word;
                }
                if (command.isEmpty() && word.equals("KEEP")) {
                    command = word;
                }
            }
        } catch (IOException e) {
            // The parent is gone: the same as end of file.
        }
        return command;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("neo4j-testserver: delete " + root + ": " + e);
        }
    }
}
