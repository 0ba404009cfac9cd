#!/usr/bin/env python3
"""Scores leakscan on the labeled corpus (per file; ambiguous excluded).

usage: bench/score.py [-v] [--bin PATH] [--corpus DIR]
Recall = positive files with any finding; exact recall also needs a reported secret that
equals / contains / is contained in an expected string; FP = negative files with any finding.
"""
import collections, json, os, subprocess, sys

args = sys.argv[1:]
here = os.path.dirname(os.path.abspath(__file__))
binary = os.path.join(here, '..', 'target', 'debug', 'leakscan')
corpus = '/work/shared/corpus'
if '--bin' in args: binary = args[args.index('--bin') + 1]
if '--corpus' in args: corpus = args[args.index('--corpus') + 1]
labels = [json.loads(l) for l in open(os.path.join(corpus, 'labels.jsonl'))]
out = subprocess.run([binary, os.path.join(corpus, 'files'), '--format', 'jsonl', '--show-secrets', '-q', '--no-config'],
                     capture_output=True, text=True).stdout
hits = collections.defaultdict(list)
for l in out.splitlines():
    v = json.loads(l)
    if v.get('type') == 'finding':
        hits[v['path'].split('/files/')[-1]].append(v)
key = lambda x: x['file'].split('/')[-1]
pos = [x for x in labels if x['label'] == 'positive']
neg = [x for x in labels if x['label'] == 'negative']
det = [x for x in pos if hits.get(key(x))]
def exact(x):
    for h in hits.get(key(x), []):
        s = h.get('secret') or ''
        for e in x.get('expected') or []:
            if s and (s == e or s in e or e in s): return True
    return False
ex = [x for x in pos if exact(x)]
fp = [x for x in neg if hits.get(key(x))]
print(f"recall {len(det)}/{len(pos)} = {len(det)/len(pos):.1%}  exact {len(ex)}/{len(pos)} = {len(ex)/len(pos):.1%}  "
      f"FP {len(fp)}/{len(neg)} = {len(fp)/len(neg):.1%}")
if '-v' in args:
    miss = collections.Counter(x['detector'] for x in pos if not hits.get(key(x)))
    print('missed by detector:', sorted(miss.items(), key=lambda t: -t[1]))
    for x in pos:
        if not hits.get(key(x)): print('MISS', x['file'], x['detector'])
    for x in fp: print('FP', x['file'], x['detector'], [h['rule'] for h in hits[key(x)]])
