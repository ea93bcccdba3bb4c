"""RSS of a node before and after a password sign-in storm (issue 19, defect 3).
usage: signin_storm.py BINARY [SIGNINS]"""
import concurrent.futures as cf, json, os, socket, subprocess, sys, tempfile, time, urllib.request

def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def post(base, path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status

binary, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 900
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
d = tempfile.mkdtemp()
env = dict(os.environ, CONFAB_LISTEN=f"127.0.0.1:{port}", CONFAB_DATA_DIR=d, CONFAB_LOG__LEVEL="warn",
           CONFAB_AUTH__ATTEMPTS_PER_IP_PER_MINUTE="100000")
env = {k: v for k, v in env.items() if k in ("PATH", "HOME") or k.startswith("CONFAB_") and "TEST" not in k}
p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
base = f"http://127.0.0.1:{port}/api/v1"
try:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1); break
        except Exception:
            time.sleep(0.2)
    users = [f"storm{i:03d}" for i in range(32)]
    for u in users:
        post(base, "/auth/register", {"username": u, "password": "correct horse battery", "device": "d"})
    time.sleep(2)
    idle = rss_mib(p.pid)
    t0 = time.time()
    with cf.ThreadPoolExecutor(8) as ex:
        codes = list(ex.map(lambda i: post(base, "/auth/login", {"login": users[i % 32], "password": "correct horse battery"}), range(n)))
    secs = time.time() - t0
    after = rss_mib(p.pid)
    time.sleep(30)
    later = rss_mib(p.pid)
    print(json.dumps({"binary": os.path.basename(binary), "signins": n, "ok": codes.count(200), "secs": round(secs, 1),
                      "rss_idle_mib": round(idle, 1), "rss_after_mib": round(after, 1), "rss_30s_later_mib": round(later, 1)}))
finally:
    p.terminate(); p.wait()
