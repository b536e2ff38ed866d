// Ports for servers that must know their address before they listen (PUBLIC_URL, two processes naming each other).
import net from "node:net";

/** A loopback port nothing listens on right now (the caller binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
