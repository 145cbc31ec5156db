package io.seqpar.deploy.k8s;

/** Which Kubernetes objects run the gang. */
public enum Shape {
  /** One {@code jobset.x-k8s.io/v1alpha2} JobSet: needs the JobSet controller installed. */
  JOBSET,
  /** A headless Service, an Indexed Job of workers and a one-pod Job for the coordinator. */
  INDEXED_JOB
}
