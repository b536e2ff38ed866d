// What a browser does during a single sign-on, with plain fetch: keeps cookies per origin, follows the redirects
// between the service and the provider by hand, and fills in the provider's sign-in and consent forms.
export { freePort } from "../../support/ports.js";

export interface Answer {
  status: number;
  location: string;
  setCookies: string[];
  text: string;
}

export class Browser {
  /** origin → cookie name → value (paths and expiry are not modelled; Max-Age=0 removes). */
  readonly cookies = new Map<string, Map<string, string>>();

  jar(origin: string): Map<string, string> {
    let jar = this.cookies.get(origin);
    if (!jar) this.cookies.set(origin, (jar = new Map()));
    return jar;
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar(new URL(url).origin).get(name);
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Answer> {
    const origin = new URL(url).origin;
    const jar = this.jar(origin);
    const headers: Record<string, string> = { ...init.headers };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body, redirect: "manual" });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    const location = res.headers.get("location") ?? "";
    return { status: res.status, location: location && new URL(location, url).href, setCookies, text: await res.text() };
  }

  /**
   * Signs in at the provider from its authorization URL as `account` (consenting when asked) and returns the
   * URL the provider sends the browser back to, without visiting it.
   */
  async signInAtProvider(authorizationUrl: string, account: string, options: { deny?: boolean } = {}): Promise<string> {
    const providerOrigin = new URL(authorizationUrl).origin;
    let url = authorizationUrl;
    for (let hops = 0; hops < 20; hops++) {
      if (new URL(url).origin !== providerOrigin) return url;
      const answer = await this.request(url);
      if (answer.status >= 300 && answer.status < 400) {
        url = answer.location;
        continue;
      }
      if (answer.status !== 200) throw new Error(`provider answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      const uid = /\/interaction\/([^/"]+)\//.exec(answer.text)?.[1];
      if (!uid) throw new Error(`unexpected provider page: ${answer.text.slice(0, 300)}`);
      const step = answer.text.includes(`/interaction/${uid}/login`) ? "login" : options.deny ? "abort" : "confirm";
      const submitted = await this.request(`${providerOrigin}/interaction/${uid}/${step}`, { form: step === "login" ? { login: account } : {} });
      if (submitted.status < 300 || submitted.status >= 400) throw new Error(`provider form answered ${submitted.status}: ${submitted.text.slice(0, 300)}`);
      url = submitted.location;
    }
    throw new Error("too many redirects at the provider");
  }
}
