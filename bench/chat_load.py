"""Drives POST /api/v1/chat with multi-turn conversations from several threads and reports per-turn
latency percentiles and throughput. Usage: chat_load.py URL KEY SECONDS THREADS [RATE_PER_S]
(RATE_PER_S 0 = flat out)."""
import json
import sys
import threading
import time
import urllib.request

SCRIPTS = [
    ["你好", "配送费怎么收？", "谢谢"],
    ["我的订单到哪了", "O-20261031-00012", "1234"],
    ["Is the milk in stock at Xujiahui?", "what does it cost", "thanks"],
    ["你们几点关门", "有停车场吗"],
    ["How do I get an invoice?", "and can I pay with Alipay?"],
    ["积分怎么用", "会员怎么升级"],
    ["推荐点零食", "有没有牛奶", "静安寺店有货吗"],
    ["Can I return something I bought last week?", "it is unopened"],
]


def main():
    url, key, seconds, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.time() + seconds
    interval = threads / rate if rate > 0 else 0.0

    def post(body):
        req = urllib.request.Request(url + "/api/v1/chat", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(req) as r:
            reply = json.load(r)
        return reply, (time.perf_counter() - started) * 1000

    def worker(n):
        i = n
        next_at = time.time()
        while time.time() < deadline:
            conversation = None
            for message in SCRIPTS[i % len(SCRIPTS)]:
                if interval:
                    next_at += interval
                    time.sleep(max(0.0, next_at - time.time()))
                try:
                    reply, ms = post({"conversation_id": conversation, "message": message})
                    conversation = reply["conversation_id"]
                    with lock:
                        latencies.append(ms)
                    if reply["status"] != "bot":
                        break
                except Exception:
                    with lock:
                        errors[0] += 1
                    break
            i += threads

    started = time.time()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.time() - started
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * (len(latencies) - 1)))]
    print(json.dumps({"turns": len(latencies), "errors": errors[0], "seconds": round(elapsed, 1),
                      "turns_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(pct(0.5), 2),
                      "p90_ms": round(pct(0.9), 2), "p99_ms": round(pct(0.99), 2), "max_ms": round(latencies[-1], 2)}))


main()
