package dev.zonekeeper.dns.updates;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.server.UpdateHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import org.xbill.DNS.Rcode;

/**
 * What the sidecar's relay and standalone mode's updates share: every request runs on a virtual thread of its own,
 * off the event loops, at most {@code maxInFlight} at once; beyond, the client gets REFUSED at once (counted by the
 * subclass's {@link #overloaded}).
 */
abstract class BoundedHandler implements UpdateHandler, AutoCloseable {
    protected final DnsMetrics metrics;
    private final Semaphore slots;
    private final ExecutorService threads;

    BoundedHandler(String threadPrefix, int maxInFlight, DnsMetrics metrics) {
        this.metrics = metrics;
        this.slots = new Semaphore(maxInFlight);
        this.threads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name(threadPrefix, 0).factory());
    }

    /** The answer to one UPDATE, made on a handler thread (blocking is fine there). */
    abstract byte[] answer(byte[] request, InetAddress client, boolean overTcp, long start);

    /** Streams the answer to one signed AXFR on a handler thread; throws to have the client's connection closed. */
    abstract void stream(byte[] request, MessageSink out) throws IOException;

    /** Counts a request refused for want of a slot ({@code transfer}: a signed AXFR, else an UPDATE). */
    abstract void overloaded(boolean transfer, long nanos);

    @Override
    public final CompletableFuture<byte[]> update(byte[] request, InetAddress client, boolean overTcp) {
        long start = System.nanoTime();
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        if (!run(() -> answer.complete(answer(request, client, overTcp, start)), answer)) {
            overloaded(false, System.nanoTime() - start);
            answer.complete(Replies.error(request, Rcode.REFUSED));
        }
        return answer;
    }

    @Override
    public final CompletableFuture<Void> transfer(byte[] request, InetAddress client, MessageSink out) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean started = run(
                () -> {
                    try {
                        stream(request, out);
                        done.complete(null);
                    } catch (IOException e) {
                        done.completeExceptionally(e);
                    }
                },
                done);
        if (!started) {
            overloaded(true, 0);
            try {
                out.message(Replies.error(request, Rcode.REFUSED), true);
                done.complete(null);
            } catch (IOException e) {
                done.completeExceptionally(e);
            }
        }
        return done;
    }

    /**
     * Runs {@code task} on a handler thread within the bound, completing {@code result} exceptionally if it throws;
     * false when the bound is reached (or the handler is closed).
     */
    private boolean run(Runnable task, CompletableFuture<?> result) {
        if (!slots.tryAcquire()) {
            return false;
        }
        try {
            threads.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                } finally {
                    slots.release();
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            slots.release();
            return false;
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
