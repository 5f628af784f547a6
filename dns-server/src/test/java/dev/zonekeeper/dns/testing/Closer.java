package dev.zonekeeper.dns.testing;

import java.util.ArrayList;
import java.util.List;

/** What a test started, closed in the reverse order of starting (a listener before the server it listens to). */
public final class Closer implements AutoCloseable {
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** Closes {@code c} on {@link #close()}; returns it. */
    public <T extends AutoCloseable> T add(T c) {
        closeables.add(c);
        return c;
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }
}
