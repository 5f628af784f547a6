package dev.zonekeeper.dns.transfer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;

/**
 * Reads the shared TSIG key of zone transfers from the contract's one-line format {@code name:algorithm:base64secret},
 * e.g. {@code zonekeeper-transfer:hmac-sha256:c2VjcmV0...}. Surrounding white space and a trailing newline are
 * ignored. Anything else is rejected with an {@link IllegalArgumentException} that says what is wrong (never showing
 * the secret).
 *
 * <p>Transfer keys ({@link #parse}) refuse hmac-md5. Dynamic-update keys ({@link #parseUpdateKey}) accept it, because
 * it is cert-manager's default and nsupdate's oldest; they come back as a {@link Key} with their name, which the
 * update policies are looked up by.
 */
public final class TsigKeyFile {
    private TsigKeyFile() {}

    /**
     * A dynamic-update key: its name (what a request's TSIG names), its algorithm (e.g. {@link TSIG#HMAC_SHA256})
     * and the {@link TSIG} that verifies and signs with it.
     */
    public record Key(Name name, Name algorithm, TSIG tsig) {}

    /** The zone-transfer key in {@code text}; hmac-md5 is refused. */
    public static TSIG parse(String text) {
        return parse(text, false).tsig();
    }

    /**
     * The dynamic-update key in {@code text}: hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or
     * hmac-sha512.
     */
    public static Key parseUpdateKey(String text) {
        return parse(text, true);
    }

    /** The dynamic-update key in the file at {@code path} (see {@link #parseUpdateKey}). */
    public static Key readUpdateKey(Path path) throws IOException {
        return read(path, true);
    }

    private static Key parse(String text, boolean allowMd5) {
        String line = text == null ? "" : text.strip();
        String[] parts = line.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException(
                    "TSIG key must be name:algorithm:base64secret (3 fields separated by ':'), found " + parts.length
                            + " field(s)");
        }
        String keyName = parts[0].strip();
        String algorithm = parts[1].strip().toLowerCase(java.util.Locale.ROOT);
        String secret = parts[2].strip();
        if (keyName.isEmpty()) {
            throw new IllegalArgumentException("TSIG key name is empty");
        }
        Name name;
        try {
            name = Name.fromString(keyName, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(
                    "TSIG key name '" + keyName + "' is not a valid domain name: " + e.getMessage(), e);
        }
        Name alg;
        try {
            alg = TSIG.algorithmToName(algorithm);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "TSIG algorithm '" + algorithm
                            + "' is not supported (use hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224 or hmac-sha1"
                            + (allowMd5 ? " or hmac-md5)" : ")"),
                    e);
        }
        if (alg.equals(TSIG.HMAC_MD5) && !allowMd5) {
            throw new IllegalArgumentException("TSIG algorithm hmac-md5 is not accepted; use hmac-sha256");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TSIG secret of key '" + keyName + "' is not valid base64", e);
        }
        if (key.length == 0) {
            throw new IllegalArgumentException("TSIG secret of key '" + keyName + "' is empty");
        }
        return new Key(name, alg, new TSIG(alg, name, key));
    }

    /** The key in the file at {@code path}. */
    public static TSIG read(Path path) throws IOException {
        return read(path, false).tsig();
    }

    private static Key read(Path path, boolean allowMd5) throws IOException {
        String text = Files.readString(path, StandardCharsets.UTF_8);
        try {
            return parse(text, allowMd5);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TSIG key file " + path + ": " + e.getMessage(), e);
        }
    }
}
