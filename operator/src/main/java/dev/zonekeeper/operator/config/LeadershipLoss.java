package dev.zonekeeper.operator.config;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * What happens when this replica stops holding the Lease: with {@code zonekeeper.leader-election.exit-on-stop-leading}
 * the process exits with status 1 so Kubernetes restarts the pod and it competes again; unless the operator is
 * stopping anyway (SIGTERM), when giving up the Lease is part of the shutdown.
 *
 * <p>This replaces JOSDK's own exit-on-stop-leading, which calls {@code System.exit} on the thread that stops the
 * leader elector. On SIGTERM that thread is Quarkus's shutdown hook ({@code Operator.stop()} cancels the election,
 * which runs the stop-leading callback), and {@code System.exit} inside a running shutdown hook blocks forever: the
 * JVM never finished its shutdown and stayed alive until SIGKILL. Here the exit, when one is due, runs on a daemon
 * thread of its own, so it can never hold up a shutdown that is already under way.
 */
@Singleton
public class LeadershipLoss {

  private static final Logger LOG = Logger.getLogger(LeadershipLoss.class);

  private final AtomicBoolean exiting = new AtomicBoolean();
  private volatile boolean shuttingDown;

  /** Before QOSDK stops the operator (and with it the leader elector) on the same event. */
  void shuttingDown(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
    shuttingDown = true;
  }

  /** The callbacks to give JOSDK, whose own exit-on-stop-leading must then be off. */
  LeaderCallbacks callbacks(String identity, boolean exitOnStopLeading) {
    return new LeaderCallbacks(() -> { }, () -> stoppedLeading(identity, exitOnStopLeading), leader -> { });
  }

  void stoppedLeading(String identity, boolean exitOnStopLeading) {
    if (shuttingDown) {
      LOG.infof("%s released leadership: the operator is shutting down", identity);
      return;
    }
    if (!exitOnStopLeading) {
      LOG.warnf("%s lost leadership; not exiting (zonekeeper.leader-election.exit-on-stop-leading=false)", identity);
      return;
    }
    if (!exiting.compareAndSet(false, true)) {
      return;
    }
    LOG.errorf("%s lost leadership: exiting so the pod restarts and competes for the Lease again", identity);
    // never on the caller's thread: that may be (or be waited on by) a shutdown hook, where System.exit blocks
    Thread exit = new Thread(() -> System.exit(1), "leadership-lost-exit");
    exit.setDaemon(true);
    exit.start();
  }
}
