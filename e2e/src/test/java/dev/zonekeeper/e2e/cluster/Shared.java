package dev.zonekeeper.e2e.cluster;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fixture made once per test run and closed when the run ends (kept in JUnit's root store). A fixture that could not
 * be made is not tried again: every later user gets the same failure or skip.
 */
public final class Shared {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(Shared.class);

    private Shared() {}

    public static <T extends AutoCloseable> T get(ExtensionContext context, Class<T> type, Supplier<T> factory) {
        Outcome outcome =
                context.getRoot().getStore(NAMESPACE).computeIfAbsent(type, k -> Outcome.of(factory), Outcome.class);
        if (outcome.failure != null) {
            sneakyThrow(outcome.failure);
        }
        return type.cast(outcome.value);
    }

    /** Holder closed by JUnit at the end of the run. */
    static final class Outcome implements AutoCloseable {
        final AutoCloseable value;
        final Throwable failure;

        private Outcome(AutoCloseable value, Throwable failure) {
            this.value = value;
            this.failure = failure;
        }

        static Outcome of(Supplier<? extends AutoCloseable> factory) {
            try {
                return new Outcome(factory.get(), null);
            } catch (Throwable t) {
                return new Outcome(null, t);
            }
        }

        @Override
        public void close() throws Exception {
            if (value != null) {
                value.close();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
        throw (E) t;
    }
}
