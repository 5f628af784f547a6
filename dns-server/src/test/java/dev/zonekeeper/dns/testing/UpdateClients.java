package dev.zonekeeper.dns.testing;

import dev.zonekeeper.testing.DnsClients;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real dynamic-update clients: BIND's {@code nsupdate} and Knot's {@code knsupdate}, fed a script on standard
 * input as a user types it. Both take the key as {@code -y algorithm:name:secret} and use TCP with {@code -v}.
 */
public final class UpdateClients {
    private UpdateClients() {}

    /** Which client. */
    public enum Tool {
        NSUPDATE("nsupdate", "bind9-dnsutils"),
        KNSUPDATE("knsupdate", "knot-dnsutils");

        final String command;
        final String debianPackage;

        Tool(String command, String debianPackage) {
            this.command = command;
            this.debianPackage = debianPackage;
        }
    }

    /** What a run printed (standard output and error together) and its exit code. */
    public record Result(int exitCode, String output) {
        /** The rcode the client reports for the update: NOERROR when it succeeded, else the one it printed. */
        public String rcode() {
            if (exitCode == 0) {
                return "NOERROR";
            }
            // nsupdate: "update failed: NXRRSET"; knsupdate: "update failed with error 'NXRRSET'" or "(NXRRSET)"
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                            "update failed(?: with error)?:? '?\\(?([A-Z]+(?:\\([A-Z]+\\))?)")
                    .matcher(output);
            return m.find() ? m.group(1) : "FAILED";
        }
    }

    /**
     * Runs {@code tool} against {@code server} with {@code key} ({@code algorithm:name:secret}, null: unsigned),
     * over TCP or UDP, the {@code lines} of the script followed by {@code send}.
     */
    public static Result run(Tool tool, InetSocketAddress server, String key, boolean tcp, List<String> lines) {
        List<String> cmd = new ArrayList<>();
        cmd.add(DnsClients.tool(tool.command, tool.debianPackage).toString());
        if (tcp) {
            cmd.add("-v");
        }
        if (key != null) {
            cmd.add("-y");
            cmd.add(key);
        }
        if (tool == Tool.KNSUPDATE) {
            cmd.addAll(List.of("-t", "5", "-r", "0"));
        } else {
            cmd.addAll(List.of("-t", "5", "-u", "2", "-r", "0"));
        }
        StringBuilder script = new StringBuilder()
                .append("server ")
                .append(server.getAddress().getHostAddress())
                .append(' ')
                .append(server.getPort())
                .append('\n');
        for (String line : lines) {
            script.append(line).append('\n');
        }
        script.append("send\n");
        if (tool == Tool.KNSUPDATE) {
            script.append("quit\n");
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(script.toString().getBytes(StandardCharsets.UTF_8));
            }
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(tool.command + " did not finish: " + script);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + cmd, e);
        }
    }
}
