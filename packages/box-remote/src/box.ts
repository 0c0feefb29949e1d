import { counter, defineBox, int } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

/** The remote queue: frees from a thread that does not own the block are pushed to the owner's queue. */
export const remote = defineBox({
  name: 'remote',
  packageName: pkg.name,
  version: pkg.version,
  configPath: 'remote',
  cPrefix: 'remote',
  envPrefix: 'REMOTE_',
  knobs: {
    /** Pending remote frees before a refill drains them. */
    drainThreshold: int({ default: 1, min: 1, max: 1048576, scope: 'env' }),
    /** Most remote frees processed per drain; the rest wait for the next drain. */
    drainBatch: int({ default: 4096, min: 1, max: 1048576, scope: 'env' }),
    /**
     * Remote frees a thread gathers for one owner before pushing them with a single atomic
     * operation (1 = push every free at once). Gathered blocks are pushed when the owner
     * changes, when the thread refills or exits, or when the batch is full.
     */
    pushBatch: int({ default: 1, min: 1, max: 4096, scope: 'env' }),
  },
  counters: {
    /** Blocks pushed onto another thread's remote queue. */
    remotePushed: counter(),
    /** Atomic pushes of gathered batches onto remote queues. */
    remoteBatches: counter(),
    /** Remote frees taken back by the owning thread. */
    remoteDrained: counter(),
    /** Frees into an abandoned heap, given straight to their slabs by the freeing thread (no push). */
    remoteCollected: counter(),
    /** Heaps left behind by exiting threads. */
    heapsAbandoned: counter(),
    /** Abandoned heaps taken over by another thread. */
    heapsAdopted: counter(),
  },
});
