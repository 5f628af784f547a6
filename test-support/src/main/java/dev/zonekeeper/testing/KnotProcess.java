package dev.zonekeeper.dns.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Starting and ending a {@code knotd} process, shared by {@link KnotServer} and {@link KnotSecondary}. */
final class KnotProcess {
    private KnotProcess() {
    }

    /** Runs {@code knotd -c confFile} in the foreground, its standard output and error both to {@code output}. */
    static Process start(String knotd, Path confFile, Path output) throws IOException {
        return new ProcessBuilder(knotd, "-c", confFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
    }

    /** Ends knotd: SIGTERM, then SIGKILL after 10 s, and waits for it. */
    static void end(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
