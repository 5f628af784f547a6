package dev.zonekeeper.dns.standalone;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ManifestDirectory} loaded: reloads it when files under it change and hands every new
 * {@link LoadResult} to a callback.
 *
 * <p>Changes are seen through a {@link WatchService} on every (non-hidden) directory of the tree, directories created
 * later included; a burst of events is collapsed into one reload after a short debounce. As a fallback for file
 * systems that do not deliver events (network mounts, some container volumes), the tree is also rescanned
 * periodically and reloaded when the modification time or size of any manifest file differs from the last load, or
 * a file appeared or vanished.
 *
 * <p>The callback is called once from {@link #start} with the initial load, on the caller's thread, then on the
 * watcher's own thread each time a reload gives a result different from the last one delivered; calls never overlap.
 * When the directory cannot be read during a reload (deleted, permissions), a warning is logged and the last result
 * stays in force: nothing is delivered until it can be read again.
 */
public final class DirectoryWatcher implements AutoCloseable {

    public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);
    public static final Duration DEFAULT_RESCAN = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(DirectoryWatcher.class);

    private final ManifestDirectory manifests;
    private final Consumer<LoadResult> onChange;
    private final Duration debounce;
    private final WatchService watchService;
    private final Map<WatchKey, Path> watched = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final Thread watchThread;
    private ScheduledFuture<?> pendingReload;
    private volatile boolean closed;
    private volatile Thread reloadThread;
    // Both touched only on the scheduler thread (and by start() before it runs).
    private Map<Path, FileState> lastSnapshot = Map.of();
    private LoadResult lastDelivered;

    private DirectoryWatcher(
            ManifestDirectory manifests, Consumer<LoadResult> onChange, Duration debounce, boolean useWatchService)
            throws IOException {
        this.manifests = manifests;
        this.onChange = onChange;
        this.debounce = debounce;
        this.watchService = useWatchService ? FileSystems.getDefault().newWatchService() : null;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            reloadThread = daemon(r, "zonekeeper-records-reload");
            return reloadThread;
        });
        this.watchThread = useWatchService ? daemon(this::watchLoop, "zonekeeper-records-watch") : null;
    }

    /** Starts watching with the default debounce and rescan interval. */
    public static DirectoryWatcher start(ManifestDirectory manifests, Consumer<LoadResult> onChange) {
        return start(manifests, onChange, DEFAULT_DEBOUNCE, DEFAULT_RESCAN);
    }

    /**
     * Loads the directory, delivers the result to {@code onChange}, then watches for changes.
     *
     * @throws UncheckedIOException when the directory cannot be read at all
     */
    public static DirectoryWatcher start(
            ManifestDirectory manifests, Consumer<LoadResult> onChange, Duration debounce, Duration rescanInterval) {
        return start(manifests, onChange, debounce, rescanInterval, true);
    }

    /** With {@code useWatchService} false only the periodic rescan sees changes (for tests of that fallback). */
    static DirectoryWatcher start(
            ManifestDirectory manifests,
            Consumer<LoadResult> onChange,
            Duration debounce,
            Duration rescanInterval,
            boolean useWatchService) {
        Objects.requireNonNull(onChange, "onChange");
        DirectoryWatcher watcher;
        try {
            watcher = new DirectoryWatcher(manifests, onChange, debounce, useWatchService);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch " + manifests.directory(), e);
        }
        try {
            // Watch first, then load: a change made during the initial load is then not missed.
            watcher.registerTree();
            watcher.lastSnapshot = watcher.snapshot();
            LoadResult initial = manifests.load();
            watcher.lastDelivered = initial;
            onChange.accept(initial);
        } catch (RuntimeException e) {
            watcher.close();
            throw e;
        }
        long rescanMillis = rescanInterval.toMillis();
        watcher.scheduler.scheduleWithFixedDelay(watcher::rescan, rescanMillis, rescanMillis, TimeUnit.MILLISECONDS);
        if (watcher.watchThread != null) {
            watcher.watchThread.start();
        }
        return watcher;
    }

    /**
     * Runs {@code change} on the reload thread and returns its result: no reload runs meanwhile, so none sees files
     * that {@code change} has half written (the update store commits this way). {@code change} may call
     * {@link #reloadNow} to have its result delivered before it returns.
     *
     * @throws java.util.concurrent.ExecutionException with what {@code change} threw
     * @throws java.io.IOException when the watcher is closed
     */
    public <T> T exclusive(java.util.concurrent.Callable<T> change)
            throws java.util.concurrent.ExecutionException, InterruptedException, IOException {
        java.util.concurrent.Future<T> done;
        try {
            done = scheduler.submit(change);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IOException("the records directory is no longer watched", e);
        }
        try {
            return done.get();
        } catch (InterruptedException e) {
            done.cancel(true);
            throw e;
        }
    }

    /**
     * Loads the directory now and delivers the result when it differs from the last one, on the reload thread
     * (from a task of {@link #exclusive}).
     */
    public void reloadNow() {
        if (Thread.currentThread() != reloadThread) {
            throw new IllegalStateException("reloadNow runs on the reload thread only");
        }
        reload();
    }

    /** Stops watching; no callback starts after this returns. */
    @Override
    public void close() {
        closed = true;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                LOG.debug("closing the watch service of {}", manifests.directory(), e);
            }
        }
        scheduler.shutdownNow();
        if (Thread.currentThread() != reloadThread) { // close() from the callback must not wait for itself
            try {
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void watchLoop() {
        while (!closed) {
            WatchKey key;
            try {
                key = watchService.take();
            } catch (ClosedWatchServiceException | InterruptedException e) {
                return;
            }
            Path dir = watched.get(key);
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.kind() == ENTRY_CREATE && dir != null) {
                    Path created = dir.resolve((Path) event.context());
                    if (Files.isDirectory(created) && !ManifestDirectory.isHidden(created)) {
                        // Files and directories made in it before it is watched are found by the reload.
                        registerTree(created);
                    }
                }
                LOG.trace("{} {}", event.kind(), event.context());
            }
            if (!key.reset()) {
                watched.remove(key);
            }
            scheduleReload();
        }
    }

    private synchronized void scheduleReload() {
        if (closed) {
            return;
        }
        if (pendingReload != null) {
            pendingReload.cancel(false);
        }
        try {
            pendingReload = scheduler.schedule(this::reload, debounce.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void rescan() {
        try {
            if (watchService != null) {
                registerTree(); // picks up directories whose events were lost, and a re-created root
            }
            if (!snapshot().equals(lastSnapshot)) {
                LOG.debug("rescan of {} found changed files", manifests.directory());
                reload();
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot rescan records directory {}: {}", manifests.directory(), e.getMessage());
        }
    }

    private void reload() {
        if (closed) {
            return;
        }
        LoadResult result;
        try {
            Map<Path, FileState> snapshot = snapshot();
            result = manifests.load();
            lastSnapshot = snapshot;
        } catch (UncheckedIOException e) {
            LOG.warn(
                    "cannot read records directory {}, keeping the records loaded before: {}",
                    manifests.directory(),
                    e.getCause().getMessage());
            return;
        }
        if (closed || sameContent(result, lastDelivered)) {
            return;
        }
        lastDelivered = result;
        try {
            onChange.accept(result);
        } catch (RuntimeException e) {
            LOG.error("records reload callback failed", e);
        }
    }

    private static boolean sameContent(LoadResult a, LoadResult b) {
        // Record.equals ignores the TTL, the presentation form does not.
        return b != null
                && a.rejections().equals(b.rejections())
                && a.ignoredDocuments() == b.ignoredDocuments()
                && a.policies().equals(b.policies())
                && a.recordFiles().equals(b.recordFiles())
                && presentation(a).equals(presentation(b));
    }

    private static List<String> presentation(LoadResult result) {
        List<String> lines = new ArrayList<>(result.records().size());
        result.records().forEach(r -> lines.add(r.toString()));
        return lines;
    }

    /** Modification time and size of every manifest file; empty when the directory cannot be read. */
    private Map<Path, FileState> snapshot() {
        Map<Path, FileState> states = new HashMap<>();
        List<Path> files;
        try {
            files = manifests.listFiles(new ArrayList<>());
        } catch (UncheckedIOException e) {
            return Map.of();
        }
        for (Path relative : files) {
            Path file = manifests.directory().resolve(relative);
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                states.put(relative, new FileState(attributes.lastModifiedTime(), attributes.size()));
            } catch (IOException e) {
                states.put(relative, new FileState(null, -1));
            }
        }
        return states;
    }

    private void registerTree() {
        registerTree(manifests.directory());
    }

    /** Watches {@code top} and every non-hidden directory below it. */
    private void registerTree(Path top) {
        if (watchService == null) {
            return;
        }
        Path root = manifests.directory();
        if (!Files.isDirectory(top)) {
            return;
        }
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (!dir.equals(root) && ManifestDirectory.isHidden(dir)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    register(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot watch records directory {}: {}", top, e.getMessage());
        }
    }

    private void register(Path dir) {
        try {
            // Registering a directory again returns its existing key.
            WatchKey key = dir.register(watchService, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY, OVERFLOW);
            watched.put(key, dir);
        } catch (ClosedWatchServiceException e) {
            // closing
        } catch (IOException e) {
            LOG.warn("cannot watch directory {}: {}", dir, e.getMessage());
        }
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    private record FileState(FileTime modified, long size) {}
}
