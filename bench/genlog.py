#!/usr/bin/env python3
"""Generate a large, realistic, deterministic application log with planted secrets.

Usage: genlog.py OUT [--mb N] [--seed S]

Writes OUT (default ~1 GiB; env LOG_MB or --mb) and OUT.planted.json, a list of
20 planted *synthetic* secrets with the 1-based line number(s) where each was
written.  The noise is what real service logs are full of and what trips naive
scanners: timestamps, levels, request ids, UUIDs, sha1/sha256 hex, base64
blobs, IPs, URLs with query strings, JSON lines, stack traces, and benign uses
of the words token/password/secret/key.

Same seed + same size => byte-identical output.  Generation is block-based
(lines are produced from pre-built pools and written in ~8 MiB blocks).
"""
import argparse
import base64
import json
import os
import random
import string
import sys
import time
import zlib

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


def rstr(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# --------------------------------------------------------------------------
# planted secrets: (id, kind, list of lines, core secret string to match)
# every value is random (seeded) and fake; formats follow the public token
# layouts so that format-aware scanners can recognise them.
# --------------------------------------------------------------------------
def make_secrets(rng):
    S = []

    def add(sid, kind, lines, secret):
        S.append({"id": sid, "kind": kind, "lines": lines, "secret": secret})

    # 1 GitHub classic PAT with valid CRC32 checksum
    body = rstr(rng, B62, 30)
    ghp = "ghp_" + body + base62(zlib.crc32(body.encode()))
    add("github-pat-classic", "GitHub classic PAT (ghp_, CRC32 checksum)",
        ['{lvl} [git-sync] cloning https://x-access-token:%s@github.com/acme/deploy-config.git into /srv/cfg' % ghp], ghp)
    # 2 GitHub fine-grained PAT
    fg = "github_pat_11" + rstr(rng, string.ascii_uppercase + string.digits, 20) + "_" + rstr(rng, ALNUM, 59)
    add("github-pat-fine-grained", "GitHub fine-grained PAT (github_pat_)",
        ['{json:"level":"debug","logger":"ci.runner","msg":"using token from env","GITHUB_TOKEN":"%s"}' % fg], fg)
    # 3 + 4 AWS key id and secret access key (separate lines of an env dump)
    akia = "AKIA" + rstr(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    aws_secret = rstr(rng, ALNUM + "+/", 40)
    add("aws-access-key-id", "AWS access key id (AKIA)",
        ['{lvl} [bootstrap] env: AWS_ACCESS_KEY_ID=%s AWS_DEFAULT_REGION=eu-west-1' % akia], akia)
    add("aws-secret-access-key", "AWS secret access key (with keyword)",
        ['{lvl} [bootstrap] env: aws_secret_access_key=%s' % aws_secret], aws_secret)
    # 5 Slack bot token
    xoxb = "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rstr(rng, ALNUM, 24))
    add("slack-bot-token", "Slack bot token (xoxb-)",
        ['{lvl} [notifier] posting to #deploys with token=%s channel=C04ABCD1234' % xoxb], xoxb)
    # 6 Stripe live secret key
    stripe = "sk_live_" + rstr(rng, ALNUM, 99)
    add("stripe-live-key", "Stripe live secret key (sk_live_)",
        ['{json:"level":"error","logger":"billing","msg":"stripe call failed","api_key":"%s","status":401}' % stripe], stripe)
    # 7 OpenAI project key
    oa = "sk-proj-" + rstr(rng, URLSAFE, 74) + "T3BlbkFJ" + rstr(rng, URLSAFE, 74)
    add("openai-project-key", "OpenAI project key (sk-proj-...T3BlbkFJ...)",
        ['{lvl} [llm] request to https://api.openai.com/v1/chat/completions with Authorization: Bearer %s' % oa], oa)
    # 8 Anthropic API key
    ant = "sk-ant-api03-" + rstr(rng, URLSAFE, 93) + "AA"
    add("anthropic-api-key", "Anthropic API key (sk-ant-api03-)",
        ['{json:"level":"warn","logger":"assistant","msg":"retrying","x-api-key":"%s","attempt":2}' % ant], ant)
    # 9 GitLab PAT
    glpat = "glpat-" + rstr(rng, URLSAFE, 20)
    add("gitlab-pat", "GitLab PAT (glpat-)",
        ['{lvl} [mirror] PRIVATE-TOKEN: %s for project 4411 (push mirror)' % glpat], glpat)
    # 10 npm token
    npm = "npm_" + rstr(rng, ALNUM, 36)
    add("npm-token", "npm access token (npm_)",
        ['{lvl} [build] wrote .npmrc: //registry.npmjs.org/:_authToken=%s' % npm], npm)
    # 11 Google API key
    aiza = "AIza" + rstr(rng, URLSAFE, 35)
    add("google-api-key", "Google API key (AIza)",
        ['{lvl} [geo] GET https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=%s 200 41ms' % aiza], aiza)
    # 12 PEM RSA private key block (multi-line)
    der = b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + rng.randbytes(1180)
    b64 = base64.b64encode(der).decode()
    pem_lines = ["-----BEGIN RSA PRIVATE KEY-----"] + [b64[i:i + 64] for i in range(0, len(b64), 64)] + ["-----END RSA PRIVATE KEY-----"]
    add("rsa-private-key", "PEM RSA private key block (multi-line)",
        ['{lvl} [tls] loaded key material from secret volume:'] + pem_lines, b64[64:128])
    # 13 postgres URL with password
    pgpw = rstr(rng, ALNUM, 12) + "!" + rstr(rng, ALNUM, 6)
    pg = "postgres://orders_svc:%s@pg-prod-3.internal.acme.io:5432/orders" % pgpw
    add("postgres-url-password", "PostgreSQL URL with password",
        ['{lvl} [db] pool init failed: could not connect to %s?sslmode=require: connection refused' % pg], pgpw)
    # 14 JWT (HS256)
    hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    pl = b64url(json.dumps({"sub": "user-%d" % rng.randrange(10**6), "name": "svc-orders", "role": "admin",
                            "iat": 1740787200, "exp": 1772323200}, separators=(",", ":")).encode())
    jwt = "%s.%s.%s" % (hdr, pl, b64url(rng.randbytes(32)))
    add("jwt", "JSON Web Token (HS256)",
        ['{json:"level":"info","logger":"auth","msg":"session issued","access_token":"%s","ttl":3600}' % jwt], jwt)
    # 15 SendGrid
    sg = "SG." + rstr(rng, URLSAFE, 22) + "." + rstr(rng, URLSAFE, 43)
    add("sendgrid-api-key", "SendGrid API key (SG.)",
        ['{lvl} [mailer] SENDGRID_API_KEY=%s configured, sender=noreply@acme.io' % sg], sg)
    # 16 Slack incoming webhook
    hook = "https://hooks.slack.com/services/T%s/B%s/%s" % (rstr(rng, string.ascii_uppercase + string.digits, 8),
                                                           rstr(rng, string.ascii_uppercase + string.digits, 10), rstr(rng, ALNUM, 24))
    add("slack-webhook", "Slack incoming webhook URL",
        ['{lvl} [alerts] POST %s 200 88ms' % hook], hook)
    # 17 Hugging Face token
    hf = "hf_" + rstr(rng, string.ascii_letters, 34)
    add("huggingface-token", "Hugging Face token (hf_)",
        ['{lvl} [ml] downloading model weights with HF_TOKEN=%s' % hf], hf)
    # 18 Shopify access token
    shp = "shpat_" + rstr(rng, HEX, 32)
    add("shopify-access-token", "Shopify admin API token (shpat_)",
        ['{json:"level":"debug","logger":"shop-sync","msg":"X-Shopify-Access-Token header set","token":"%s"}' % shp], shp)
    # 19 PyPI upload token
    pypi = "pypi-AgEIcHlwaS5vcmc" + rstr(rng, URLSAFE, 150)
    add("pypi-token", "PyPI upload token (pypi-AgEIcHlwaS5vcmc)",
        ['{lvl} [release] twine upload --username __token__ --password %s dist/*' % pypi], pypi)
    # 20 DigitalOcean personal access token
    do = "dop_v1_" + rstr(rng, HEX, 64)
    add("digitalocean-pat", "DigitalOcean PAT (dop_v1_)",
        ['{lvl} [infra] terraform plan with DIGITALOCEAN_TOKEN=%s' % do], do)
    assert len(S) == 20
    return S


# --------------------------------------------------------------------------
# noise
# --------------------------------------------------------------------------
SERVICES = ["api-gateway", "orders", "billing", "auth", "inventory", "search", "notifier", "scheduler",
            "user-profile", "payments", "shipping", "catalog", "recommendations", "ledger", "audit"]
LEVELS = ["INFO"] * 60 + ["DEBUG"] * 25 + ["WARN"] * 10 + ["ERROR"] * 5
METHODS = ["GET"] * 6 + ["POST"] * 3 + ["PUT", "DELETE", "PATCH"]
STATUSES = [200] * 30 + [201, 204, 301, 302, 304] + [400, 401, 403, 404, 404, 409, 422, 429] + [500, 502, 503, 504]
PATHS = ["/api/v1/orders/{id}", "/api/v1/users/{id}/profile", "/api/v2/catalog/items", "/api/v1/cart/{id}/items",
         "/healthz", "/metrics", "/api/v1/payments/{id}/capture", "/api/v1/search", "/oauth/token",
         "/api/v1/sessions/refresh", "/static/js/app.{h8}.js", "/api/v1/inventory/{id}/reserve",
         "/api/v1/shipments/{id}/labels", "/login", "/logout", "/api/v1/password/reset", "/graphql"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
          "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
          "curl/8.5.0", "python-requests/2.31.0", "Go-http-client/2.0", "okhttp/4.12.0", "kube-probe/1.29",
          "Prometheus/2.50.1", "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0"]
BENIGN = ["token refreshed for user_id={n} expires_in=3600",
          "password reset email queued for user_id={n}",
          "secret rotation scheduled in {n}s (no secrets logged)",
          "api key validation succeeded key_id={h8} scope=read:orders",
          "Authorization header present (redacted) for request {rid}",
          "session token=[REDACTED] user_id={n}",
          "loaded config keys: db.host, db.port, db.user, db.password(masked), cache.ttl",
          "password=******** (masked) login attempt user_id={n} result=failure",
          "jwt verification failed: token expired at {ts} kid={h8}",
          "fetching secret from vault path secret/data/{svc}/config version={n}",
          "csrf_token mismatch for session {u}",
          "private key fingerprint SHA256:{b43} loaded",
          "cache miss key=user:{n}:profile",
          "feature flag 'checkout-v2' evaluated to true for tenant {n}"]
MSGS = ["processed batch of {n} events in {ms}ms",
        "order {u} state changed PENDING -> CONFIRMED",
        "payment {u} captured amount={n}.{n2} currency=EUR",
        "published message {u} to topic orders.events partition={p} offset={n}",
        "db query took {ms}ms: SELECT id, status, total FROM orders WHERE customer_id = $1 LIMIT 50",
        "upstream {ip}:{port} responded {status} in {ms}ms",
        "artifact sha256={h64} verified",
        "commit {h40} deployed to production by pipeline {n}",
        "object etag={h32} size={n} stored at s3://acme-prod-assets/{h8}/{u}.bin",
        "retrying connection to {ip}:{port} (attempt {p}/5)",
        "GC pause {ms}ms heap_before={n}MB heap_after={n2}MB",
        "received webhook id={u} signature=sha256={h64}",
        "user {n} uploaded avatar checksum=sha1:{h40}",
        "payload={b64}",
        "scheduled job {h8} next_run={ts}",
        "connection pool stats active={p} idle={n2} waiting=0",
        "GET {url} -> {status}",
        "cursor={b64s} page_size=100"]
JAVA_EXC = ["java.lang.NullPointerException: Cannot invoke \"com.acme.orders.model.Customer.getId()\" because \"customer\" is null",
            "java.util.concurrent.TimeoutException: Request timed out after 30000ms",
            "org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique constraint \"orders_pkey\"",
            "java.lang.IllegalStateException: Connection pool shut down"]
JAVA_FRAMES = ["com.acme.orders.service.OrderService.process", "com.acme.orders.api.OrderController.create",
               "org.springframework.web.servlet.FrameworkServlet.service", "jakarta.servlet.http.HttpServlet.service",
               "org.apache.catalina.core.ApplicationFilterChain.doFilter", "com.zaxxer.hikari.pool.HikariPool.getConnection",
               "org.hibernate.engine.jdbc.spi.SqlExceptionHelper.convert", "java.base/java.lang.Thread.run",
               "com.acme.common.retry.RetryTemplate.execute", "io.micrometer.core.instrument.Timer.record"]
PY_FRAMES = [("/app/orders/handlers.py", "handle_create"), ("/app/orders/service.py", "reserve_stock"),
             ("/usr/local/lib/python3.11/site-packages/sqlalchemy/engine/base.py", "_execute_context"),
             ("/usr/local/lib/python3.11/site-packages/httpx/_client.py", "send"),
             ("/app/common/retry.py", "wrapper")]
PY_EXC = ["KeyError: 'customer_id'", "httpx.ReadTimeout: timed out",
          "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) server closed the connection unexpectedly",
          "ValueError: invalid literal for int() with base 10: 'abc'"]


class Noise:
    def __init__(self, rng):
        self.rng = rng
        r = rng
        self.uuids = ["%08x-%04x-4%03x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                                     0x8000 | r.getrandbits(14), r.getrandbits(48)) for _ in range(8192)]
        self.h8 = ["%08x" % r.getrandbits(32) for _ in range(4096)]
        self.h32 = ["%032x" % r.getrandbits(128) for _ in range(4096)]
        self.h40 = ["%040x" % r.getrandbits(160) for _ in range(4096)]
        self.h64 = ["%064x" % r.getrandbits(256) for _ in range(4096)]
        self.b43 = [base64.b64encode(r.randbytes(32)).decode().rstrip("=") for _ in range(1024)]
        self.b64 = [base64.b64encode(r.randbytes(r.randrange(24, 240))).decode() for _ in range(4096)]
        self.b64s = [b64url(r.randbytes(r.randrange(12, 40))) for _ in range(2048)]
        self.ips = ["10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255)) for _ in range(1024)] + \
                   ["%d.%d.%d.%d" % (r.randrange(11, 223), r.randrange(256), r.randrange(256), r.randrange(1, 255)) for _ in range(3072)]
        self.rids = ["req-%016x" % r.getrandbits(64) for _ in range(8192)]
        self.urls = []
        for _ in range(2048):
            p = r.choice(PATHS).replace("{id}", str(r.randrange(1, 10**7))).replace("{h8}", r.choice(self.h8))
            q = ""
            if r.random() < 0.4:
                q = "?page=%d&limit=%d&sort=created_at&trace=%s" % (r.randrange(1, 50), r.choice([10, 25, 50, 100]), r.choice(self.h8))
            self.urls.append(p + q)
        self.t = 1740787200.0  # 2025-03-01T00:00:00Z
        self._sec = None
        self._secstr = ""

    def ts(self):
        self.t += self.rng.random() * 0.004
        s = int(self.t)
        if s != self._sec:
            self._sec = s
            self._secstr = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
        return "%s.%03dZ" % (self._secstr, int((self.t - s) * 1000))

    _GEN = {
        "n": lambda s: s.rng.randrange(1, 100000), "n2": lambda s: s.rng.randrange(100),
        "ms": lambda s: s.rng.randrange(1, 2500), "u": lambda s: s.rng.choice(s.uuids),
        "p": lambda s: s.rng.randrange(1, 6), "ip": lambda s: s.rng.choice(s.ips),
        "port": lambda s: s.rng.choice([443, 5432, 6379, 8080, 9092, 9200]),
        "status": lambda s: s.rng.choice(STATUSES), "h8": lambda s: s.rng.choice(s.h8),
        "h32": lambda s: s.rng.choice(s.h32), "h40": lambda s: s.rng.choice(s.h40),
        "h64": lambda s: s.rng.choice(s.h64), "b64": lambda s: s.rng.choice(s.b64),
        "b64s": lambda s: s.rng.choice(s.b64s), "b43": lambda s: s.rng.choice(s.b43),
        "ts": lambda s: s._secstr + "Z", "rid": lambda s: s.rng.choice(s.rids),
        "svc": lambda s: s.rng.choice(SERVICES),
        "url": lambda s: "https://%s.acme.internal%s" % (s.rng.choice(SERVICES), s.rng.choice(s.urls)),
    }
    _FIELDS = {}

    def fill(self, tmpl):
        fields = self._FIELDS.get(tmpl)
        if fields is None:
            fields = self._FIELDS[tmpl] = tuple(f for _, f, _, _ in string.Formatter().parse(tmpl) if f)
        g = self._GEN
        return tmpl.format(**{f: g[f](self) for f in fields})

    def lines(self, out):
        """Append one event (1..N lines) to out; returns number of lines."""
        r = self.rng
        x = r.random()
        ts = self.ts()
        svc = r.choice(SERVICES)
        lvl = r.choice(LEVELS)
        rid = r.choice(self.rids)
        if x < 0.30:  # access log
            ip = r.choice(self.ips)
            out.append('%s %s %s [%s] %s %s "%s %s HTTP/1.1" %d %d %dms "%s"' % (
                ts, "INFO", svc, rid, ip, r.choice(self.uuids), r.choice(METHODS), r.choice(self.urls),
                r.choice(STATUSES), r.randrange(0, 50000), r.randrange(1, 900), r.choice(AGENTS)))
            return 1
        if x < 0.62:  # plain app line
            tmpl = r.choice(BENIGN) if r.random() < 0.2 else r.choice(MSGS)
            out.append("%s %-5s %s [%s] %s" % (ts, lvl, svc, rid, self.fill(tmpl)))
            return 1
        if x < 0.985:  # JSON line
            tmpl = r.choice(BENIGN) if r.random() < 0.2 else r.choice(MSGS)
            d = {"ts": ts, "level": lvl.lower(), "service": svc, "request_id": rid, "trace_id": r.choice(self.h32),
                 "span_id": r.choice(self.h8) + r.choice(self.h8), "msg": self.fill(tmpl)}
            y = r.random()
            if y < 0.3:
                d["http"] = {"method": r.choice(METHODS), "path": r.choice(self.urls), "status": r.choice(STATUSES),
                             "duration_ms": r.randrange(1, 3000), "client_ip": r.choice(self.ips), "user_agent": r.choice(AGENTS)}
            elif y < 0.5:
                d["user"] = {"id": r.randrange(1, 10**6), "tenant": r.choice(self.uuids), "session": r.choice(self.b64s)}
            elif y < 0.6:
                d["blob"] = r.choice(self.b64)
                d["blob_sha256"] = r.choice(self.h64)
            out.append(json.dumps(d, separators=(",", ":")))
            return 1
        # stack traces
        if r.random() < 0.5:
            out.append("%s ERROR %s [%s] Unhandled exception in request handler" % (ts, svc, rid))
            out.append(r.choice(JAVA_EXC))
            k = r.randrange(5, 14)
            for _ in range(k):
                f = r.choice(JAVA_FRAMES)
                out.append("\tat %s(%s.java:%d)" % (f, f.rsplit(".", 2)[-2], r.randrange(20, 900)))
            out.append("\t... %d more" % r.randrange(10, 80))
            return k + 3
        out.append("%s ERROR %s [%s] Traceback (most recent call last):" % (ts, svc, rid))
        k = r.randrange(3, 8)
        for _ in range(k):
            f, fn = r.choice(PY_FRAMES)
            out.append('  File "%s", line %d, in %s' % (f, r.randrange(10, 700), fn))
            out.append("    result = await self._inner(request, timeout=%d)" % r.randrange(1, 60))
        out.append(r.choice(PY_EXC))
        return 2 * k + 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=float(os.environ.get("LOG_MB", "1024")), help="size in MiB (env LOG_MB)")
    ap.add_argument("--seed", type=int, default=20250301)
    a = ap.parse_args()
    target = int(a.mb * 1024 * 1024)
    rng = random.Random(a.seed)
    secrets = make_secrets(random.Random(a.seed + 1))
    noise = Noise(rng)
    # plant secret k once the byte count passes (k+0.5)/20 of the target
    marks = [int(target * (k + 0.5) / len(secrets)) for k in range(len(secrets))]
    planted = []
    si = 0
    written = 0
    lineno = 0  # lines written so far
    t0 = time.time()
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        while written < target:
            buf = []
            n = 0
            blen = 0
            while blen < 8 * 1024 * 1024 and written + blen < target:
                start = len(buf)
                n += noise.lines(buf)
                for s in buf[start:]:
                    blen += len(s) + 1
                if si < len(secrets) and written + blen >= marks[si]:
                    sec = secrets[si]
                    ts = noise.ts()
                    first = lineno + n + 1
                    for i, tmpl in enumerate(sec["lines"]):
                        if tmpl.startswith("{json:"):
                            l = '{"ts":"%s",%s' % (ts, tmpl[len("{json:"):])
                        elif tmpl.startswith("{lvl}"):
                            l = "%s %s %s [%s]%s" % (ts, rng.choice(["INFO", "DEBUG", "WARN", "ERROR"]), rng.choice(SERVICES),
                                                    rng.choice(noise.rids), tmpl[len("{lvl}"):])
                        else:
                            l = tmpl
                        buf.append(l)
                        blen += len(l) + 1
                    n += len(sec["lines"])
                    planted.append({"id": sec["id"], "kind": sec["kind"], "secret": sec["secret"],
                                    "line": first, "end_line": first + len(sec["lines"]) - 1})
                    si += 1
            buf.append("")
            data = "\n".join(buf)
            f.write(data)
            written += len(data)  # ASCII only: chars == bytes
            lineno += n
    os.replace(tmp, a.out)
    assert len(planted) == len(secrets), "file too small to plant all secrets"
    with open(a.out + ".planted.json", "w") as f:
        json.dump({"file": os.path.basename(a.out), "bytes": written, "lines": lineno, "seed": a.seed,
                   "planted": planted}, f, indent=1)
    dt = time.time() - t0
    print("genlog: wrote %s: %.1f MiB, %d lines, %d planted secrets in %.1fs (%.0f MiB/s)" % (
        a.out, written / 2**20, lineno, len(planted), dt, written / 2**20 / max(dt, 1e-9)), file=sys.stderr)


if __name__ == "__main__":
    main()
