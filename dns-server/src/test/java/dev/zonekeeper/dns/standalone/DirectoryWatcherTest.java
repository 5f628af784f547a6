package dev.zonekeeper.dns.standalone;

import static dev.zonekeeper.dns.standalone.ManifestDirectoryTest.ZONES;
import static dev.zonekeeper.dns.standalone.ManifestDirectoryTest.dnsRecord;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryWatcherTest {

    /** Long enough that only the WatchService can explain a reload within a test. */
    private static final Duration NO_RESCAN = Duration.ofHours(1);

    private static final Duration DEBOUNCE = Duration.ofMillis(50);

    @TempDir
    Path dir;

    private final List<LoadResult> results = new CopyOnWriteArrayList<>();
    private DirectoryWatcher watcher;

    @AfterEach
    void stop() {
        if (watcher != null) {
            watcher.close();
        }
    }

    @Test
    void initialLoadIsDeliveredBeforeStartReturns() throws IOException {
        write("a.yaml", dnsRecord("a", "a.example.test.", "A", null, "192.0.2.1"));

        watcher = DirectoryWatcher.start(new ManifestDirectory(dir, ZONES), results::add, DEBOUNCE, NO_RESCAN);

        assertThat(results)
                .singleElement()
                .satisfies(r -> assertThat(lines(r)).containsExactly("a.example.test. 30 A 192.0.2.1"));
    }

    @Test
    void writingModifyingAndDeletingFilesDeliversNewResults() throws IOException {
        write("a.yaml", dnsRecord("a", "a.example.test.", "A", null, "192.0.2.1"));
        watcher = DirectoryWatcher.start(new ManifestDirectory(dir, ZONES), results::add, DEBOUNCE, NO_RESCAN);

        write("b.yaml", dnsRecord("b", "b.example.test.", "TXT", null, "new"));
        awaitLatest("a.example.test. 30 A 192.0.2.1", "b.example.test. 30 TXT new");

        write("a.yaml", dnsRecord("a", "a.example.test.", "A", 60, "192.0.2.100"));
        awaitLatest("a.example.test. 60 A 192.0.2.100", "b.example.test. 30 TXT new");

        Files.delete(dir.resolve("a.yaml"));
        awaitLatest("b.example.test. 30 TXT new");
    }

    @Test
    void filesInSubdirectoriesCreatedAfterStartAreWatched() throws IOException {
        watcher = DirectoryWatcher.start(new ManifestDirectory(dir, ZONES), results::add, DEBOUNCE, NO_RESCAN);
        assertThat(latest().records()).isEmpty();

        write("team/one/first.yaml", dnsRecord("first", "first.example.test.", "A", null, "192.0.2.1"));
        awaitLatest("first.example.test. 30 A 192.0.2.1");

        // Only a watch on team/one itself sees this file appear: no event reaches its parent directories.
        write("team/one/second.yaml", dnsRecord("second", "second.example.test.", "A", null, "192.0.2.2"));
        awaitLatest("first.example.test. 30 A 192.0.2.1", "second.example.test. 30 A 192.0.2.2");
    }

    @Test
    void aBrokenFileIsReportedAndItsFixPickedUp() throws IOException {
        write("a.yaml", dnsRecord("a", "a.example.test.", "A", null, "192.0.2.1"));
        watcher = DirectoryWatcher.start(new ManifestDirectory(dir, ZONES), results::add, DEBOUNCE, NO_RESCAN);

        write("a.yaml", "apiVersion: zonekeeper.dev/v1alpha1\nkind: DnsRecord\n  metadata: [\n");
        await().untilAsserted(() ->
                assertThat(latest().rejections()).extracting(Rejection::file).containsExactly(dir.resolve("a.yaml")));
        assertThat(latest().records()).isEmpty();

        write("a.yaml", dnsRecord("a", "a.example.test.", "A", null, "192.0.2.3"));
        awaitLatest("a.example.test. 30 A 192.0.2.3");
        assertThat(latest().rejections()).isEmpty();
    }

    @Test
    void periodicRescanFindsChangesWithoutWatchEvents() throws IOException {
        write("a.yaml", dnsRecord("a", "a.example.test.", "A", null, "192.0.2.1"));
        watcher = DirectoryWatcher.start(
                new ManifestDirectory(dir, ZONES), results::add, DEBOUNCE, Duration.ofMillis(100), false);

        write("a.yaml", dnsRecord("a", "a.example.test.", "A", null, "192.0.2.222"));
        awaitLatest("a.example.test. 30 A 192.0.2.222");

        write("sub/b.yaml", dnsRecord("b", "b.example.test.", "A", null, "192.0.2.2"));
        awaitLatest("a.example.test. 30 A 192.0.2.222", "b.example.test. 30 A 192.0.2.2");

        Files.delete(dir.resolve("a.yaml"));
        awaitLatest("b.example.test. 30 A 192.0.2.2");
    }

    @Test
    void startingOnAMissingDirectoryFails() {
        assertThatThrownBy(
                        () -> DirectoryWatcher.start(new ManifestDirectory(dir.resolve("absent"), ZONES), results::add))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("absent");
        assertThat(results).isEmpty();
    }

    private void awaitLatest(String... lines) {
        await().untilAsserted(() -> assertThat(lines(latest())).containsExactly(lines));
    }

    private LoadResult latest() {
        return results.get(results.size() - 1);
    }

    private static List<String> lines(LoadResult result) {
        return result.records().stream().map(ManifestDirectoryTest::line).toList();
    }

    private void write(String relative, String content) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        // Write then move, as editors and kubelet do, so the watcher never reads a half-written file.
        Path temp = Files.createTempFile(dir, ".tmp", ".part");
        Files.writeString(temp, content);
        Files.move(
                temp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
