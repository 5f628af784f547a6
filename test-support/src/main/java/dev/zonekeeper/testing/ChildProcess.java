package dev.zonekeeper.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A long-running child process a test started (operator, DNS server, knotd, CoreDNS), its output in a log file;
 * {@link #close} stops exactly this process.
 */
public final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} in this directory with this environment, its output (both streams) to {@code log}. */
    public static ChildProcess start(String name, List<String> command, Path log) {
        return start(name, command, Map.of(), Path.of(""), log);
    }

    /** Starts {@code command} in {@code workDir} with {@code env} added, its output (both streams) to {@code log}. */
    public static ChildProcess start(
            String name, List<String> command, Map<String, String> env, Path workDir, Path log) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toAbsolutePath().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().putAll(env);
            Files.writeString(log, "");
            return new ChildProcess(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** A fresh log file {@code target/<dir>/<name>-<millis>.log} (tests run in their module's directory). */
    public static Path logFile(String dir, String name) {
        try {
            Path logs = Path.of("target", dir).toAbsolutePath();
            Files.createDirectories(logs);
            return logs.resolve(name + "-" + System.currentTimeMillis() + ".log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create target/" + dir, e);
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** The last 40 lines of the log under a header naming it, for failure messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> last = new ArrayList<>(lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            return "--- last " + last.size() + " lines of " + log + " ---\n" + String.join("\n", last);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The last {@code lines} lines of the log. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Throws with the log tail if the process has exited. */
    public void assertAlive() {
        if (!process.isAlive()) {
            throw new AssertionError(name + " exited with code " + process.exitValue() + "\n" + tail());
        }
    }

    /**
     * Sends SIGTERM ({@link Process#destroy()}), as the kubelet does first when it stops a container, and waits up to
     * {@code timeout} for the process to exit; the exit code, or null if it is still running then (the caller decides;
     * {@link #close()} kills it).
     */
    public Integer terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** SIGTERM, then SIGKILL after 15 s; waits for the exit. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", log " + log + ")";
    }
}
