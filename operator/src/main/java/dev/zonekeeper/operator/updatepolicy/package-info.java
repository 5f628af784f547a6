/**
 * DnsUpdatePolicy objects and the Secrets holding their TSIG keys, turned into the
 * {@link dev.zonekeeper.dns.update.UpdatePolicy} list the {@link dev.zonekeeper.dns.update.UpdateService} checks
 * updates against: {@link dev.zonekeeper.operator.updatepolicy.PolicyConversion} (pure: one object and its key to a
 * verdict), {@link dev.zonekeeper.operator.updatepolicy.UpdatePolicies} (every verdict, key conflicts between
 * policies, the list in force), {@link dev.zonekeeper.operator.updatepolicy.UpdatePolicyInformers} (watches the
 * policies, and only the Secrets they reference) and {@link dev.zonekeeper.operator.updatepolicy.UpdateMetrics}.
 */
package dev.zonekeeper.operator.updatepolicy;
