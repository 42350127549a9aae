#!/usr/bin/env python3
# Usage: alloc2.py <host.dll> <transport> <isolation> <protocol> <connections> <depth> <seconds>
# Host + LoadGen; the host's idle allocation rate (3 s, no load) is taken off one measured window of the load.
import json, os, socket, subprocess, sys, time
dll, transport, iso, proto, conns, depth, secs = sys.argv[1:8]
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../../.."))
loadgen = os.path.join(root, "bench/LoadGen/bin/Release/net10.0/PluggableNet.LoadGen.dll")
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
ctl = f"/tmp/pnet-alloc-{os.getpid()}.sock"
host = subprocess.Popen(["dotnet", dll, "run", "--Server:Address=127.0.0.1", f"--Server:Port={port}", f"--Server:Transport={transport}",
    f"--Control:Socket={ctl}", "--Logic:HotReload=false", "--Serilog:MinimumLevel:Default=Warning", "--Logic:Plugin=Reverse",
    f"--Plugins:Reverse:Isolation={iso}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def status():
    c = socket.socket(socket.AF_UNIX); c.connect(ctl); c.sendall(b"status\n")
    data = b""
    while not data.endswith(b"\n"):
        d = c.recv(65536)
        if not d: break
        data += d
    c.close(); return json.loads(data)
try:
    for _ in range(300):
        try: status(); break
        except Exception: time.sleep(0.1)
    i0 = status(); t = time.time(); time.sleep(3); i1 = status(); idle_rate = max(0, i1["allocatedBytes"] - i0["allocatedBytes"]) / (time.time() - t)
    load = subprocess.Popen(["dotnet", loadgen, "--port", str(port), "--connections", conns, "--depth", depth, "--protocol", proto,
        "--duration", secs, "--warmup", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(3.5)
    a = status(); t = time.time(); time.sleep(float(secs) - 1.5); b = status(); dt = time.time() - t
    out = load.communicate()[0]
    r = b["requests"] - a["requests"]; alloc = b["allocatedBytes"] - a["allocatedBytes"]
    res = json.loads(out.split("RESULT ",1)[1]) if "RESULT" in out else {}
    print(json.dumps({"transport": transport, "isolation": iso, "protocol": proto, "scenario": f"{conns}x{depth}",
        "bPerReq": round((alloc - idle_rate * dt) / r, 3) if r else None, "rawBPerReq": round(alloc / r, 3) if r else None,
        "requests": r, "rps": res.get("requestsPerSecond"), "idleBps": round(idle_rate)}))
finally:
    host.kill(); host.wait()
