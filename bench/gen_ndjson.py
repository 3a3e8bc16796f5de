"""Writes a deterministic NDJSON event corpus: python gen_ndjson.py OUT ROWS."""
import json
import random
import sys

EVENTS = ["view", "click", "purchase", "signup", "logout", "search", "add_to_cart", "share"]
COUNTRIES = ["PT", "SE", "DE", "FR", "US", "BR", "JP", "IN", "NG", "AU"]
CITIES = ["Lisboa", "Malmö", "Köln", "Paris", "Austin", "Recife", "東京", "Pune", "Lagos", "Perth"]


def main():
    out, rows = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(42)
    base = 1_714_550_400  # 2024-05-01T08:00:00Z
    with open(out, "w", encoding="utf-8") as f:
        for i in range(rows):
            c = rnd.randrange(len(COUNTRIES))
            secs = base + i // 20
            ms = rnd.randrange(1000)
            row = {
                "id": i,
                "ts": f"{secs_to_iso(secs)}.{ms:03d}Z",
                "user_id": rnd.randrange(1_000_000),
                "event": EVENTS[rnd.randrange(len(EVENTS))],
                "amount": round(rnd.random() * 500, 2) if rnd.random() < 0.3 else None,
                "ok": rnd.random() < 0.95,
                "session": "%016x" % rnd.getrandbits(64),
                "path": "/p/%d/%d" % (rnd.randrange(500), rnd.randrange(50)),
                "tags": [EVENTS[rnd.randrange(8)] for _ in range(rnd.randrange(4))],
                "geo": {"country": COUNTRIES[c], "city": CITIES[c]},
            }
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")


def secs_to_iso(s):
    import datetime
    return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


if __name__ == "__main__":
    main()
