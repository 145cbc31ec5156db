/**
 * Kubernetes manifests for one seqpar job, rendered from a validated {@code JobSpec}: the
 * recommended JobSet (conventions §1.7) or the no-CRD fallback (headless Service, an Indexed Job
 * for the workers, a one-pod Job for the coordinator). The environment the pods get is built from
 * the same constants the processes read ({@link io.seqpar.config.SeqparContext}, {@link
 * io.seqpar.deploy.launcher.EnvContract}), so the manifests and the processes cannot drift apart.
 */
package io.seqpar.deploy.k8s;
