package dev.zonekeeper.operator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Locations;
import dev.zonekeeper.operator.zone.ZonePublisher;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The operator's packages form a hierarchy: each depends only on packages below it, and the composition root
 * ({@code app}) on all of them, with nothing depending on it. A cycle (e.g. zone -> reconciler -> zone) fails here.
 */
class OperatorArchitectureTest {

    /** The operator's main classes only (read from where they were compiled, not searched for on the classpath). */
    private static final JavaClasses MAIN = new ClassFileImporter()
            .importLocations(Locations.of(List.of(
                    ZonePublisher.class.getProtectionDomain().getCodeSource().getLocation())));

    @Test
    void packagesAreFreeOfCycles() {
        assertThat(MAIN.containPackage("dev.zonekeeper.operator.app"))
                .as("the operator's classes were imported")
                .isTrue();
        slices().matching("dev.zonekeeper.operator.(*)..")
                .should()
                .beFreeOfCycles()
                .check(MAIN);
    }

    @Test
    void nothingDependsOnTheCompositionRoot() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.zonekeeper.operator.app..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.zonekeeper.operator.app..")
                .check(MAIN);
    }

    /** The serving decision is made below the reconciler and the informers, never by them. */
    @Test
    void theDecisionDependsOnNeitherInformersNorReconcilerNorZones() {
        noClasses()
                .that()
                .resideInAPackage("dev.zonekeeper.operator.records..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.zonekeeper.operator.informers..",
                        "dev.zonekeeper.operator.reconciler..",
                        "dev.zonekeeper.operator.zone..",
                        "dev.zonekeeper.operator.updates..",
                        "io.javaoperatorsdk..",
                        "io.fabric8.kubernetes.client..")
                .check(MAIN);
    }

    /**
     * The update store reads who holds a name from the one serving decision ({@code records}) and the served zones
     * ({@code zone}), never from informers of its own, and writes no status.
     */
    @Test
    void theUpdateStoreReadsTheDecisionNotTheInformers() {
        noClasses()
                .that()
                .resideInAPackage("dev.zonekeeper.operator.updates..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.zonekeeper.operator.informers..",
                        "dev.zonekeeper.operator.reconciler..",
                        "io.javaoperatorsdk..")
                .check(MAIN);
    }
}
