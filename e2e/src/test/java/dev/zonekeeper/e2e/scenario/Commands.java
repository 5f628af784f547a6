package dev.zonekeeper.e2e.scenario;

import static org.junit.jupiter.api.Assertions.fail;

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

/** Runs short commands (helm, kubectl, ip, getent, mvnw) and returns their output; the chart tests use it too. */
public final class Commands {

    private Commands() {}

    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        /** Fails with the command's own output when it did not succeed. */
        public Result assertSuccess() {
            if (exitCode != 0) {
                fail("`" + String.join(" ", command) + "` exited with " + exitCode + "\nstdout:\n" + stdout
                        + "\nstderr:\n" + stderr);
            }
            return this;
        }

        @Override
        public String toString() {
            return "`" + String.join(" ", command) + "` -> " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n"
                    + stderr;
        }
    }

    public static Result run(List<String> command, Duration timeout) {
        return run(command, Map.of(), timeout, null);
    }

    public static Result run(List<String> command, Map<String, String> env, Duration timeout, Path workDir) {
        try {
            Path out = Files.createTempFile("zk-cmd-out", ".txt");
            Path err = Files.createTempFile("zk-cmd-err", ".txt");
            try {
                ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile());
                if (workDir != null) {
                    builder.directory(workDir.toFile());
                }
                builder.environment().putAll(env);
                Process process = builder.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                    fail("`" + String.join(" ", command) + "` did not finish within " + timeout + "\nstdout:\n"
                            + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
                }
                return new Result(
                        List.copyOf(command),
                        process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }
}
