// /metrics under WORKERS=N: each worker counts for itself, but a scrape reaches one worker at random, so the
// answer must be the sum over all of them. The primary collects it (prom-client's AggregatorRegistry asks every
// worker for its registry), and the worker that got the scrape asks the primary.
import cluster from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

const REQUEST = "ttn-identity:cluster-metrics-request";
const RESPONSE = "ttn-identity:cluster-metrics-response";
/** A little longer than the primary's own wait for the workers (prom-client's 5 s). */
const TIMEOUT_MS = 6_000;

interface Message { type?: string; id?: number; text?: string; error?: string }

/** In the primary: answers a worker's request with the metrics of every worker. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: Message) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (err: Error) => worker.send({ type: RESPONSE, id: message.id, error: err.message }),
    );
  });
}

let nextId = 0;
const pending = new Map<number, (message: Message) => void>();

/** In a worker: offers `registry` to the primary's collection, and returns a function that fetches the sum. */
export function clusterMetricsSource(registry: Registry): () => Promise<string> {
  new AggregatorRegistry(); // installs prom-client's answer to the primary's requests in this worker
  AggregatorRegistry.setRegistries([registry]);
  process.on("message", (message: Message) => {
    if (message?.type === RESPONSE && message.id !== undefined) pending.get(message.id)?.(message);
  });
  return () => new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => { pending.delete(id); reject(new Error("the primary did not answer")); }, TIMEOUT_MS);
    pending.set(id, (message) => {
      pending.delete(id);
      clearTimeout(timer);
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(message.error ?? "no metrics"));
    });
    process.send!({ type: REQUEST, id });
  });
}
