#!/usr/bin/env python3
"""Cross-validation inside the TRAIN half of the mail corpus (stdlib only), used to choose the
model's cut-offs and weight (crates/ww-mail/src/analyse.rs MODEL_*; BAYES_* weights in
data/default.toml). Never reads the test half: its input is the train-only feature dump

    cargo run --release -p ww-mail --example features -- labels.csv > /tmp/train.jsonl
    python3 scripts/mail-cv.py /tmp/train.jsonl

Mirrors the Rust scoring (naive Bayes class, SpamBayes chi-squared badness, rules from the dump)
and prints, per candidate (from, full, weight, ham_below, ham_weight), the out-of-fold figures averaged over
four 5-fold assignments; the choice rule: fewest false positives with F1 >= 0.975 and phish
recall >= 0.965, ties to the higher F1. On the current dump (mailing-list mail recognised by
Mailing-List or a Reply-To equal to a To address) the rule picks (0.3, 0.8, 5, 0.1, -8): 1.5
false positives in 1,033 train ham, F1 0.9774, against 2.5 and 0.9763 for the earlier
(0.4, 0.8, 5, 0.1, -6).
"""
import collections, hashlib, json, math, sys

CL = {'ham': 0, 'spam': 1, 'phish': 2}
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows:
    r['y'] = CL[r['label']]
class NB:
    def __init__(s,train,extra=lambda r:[]):
        s.docs=[0,0,0]; s.t={}
        for r in train:
            s.docs[r['y']]+=1
            for t in set(r['toks']+extra(r)):
                s.t.setdefault(t,[0,0,0])[r['y']]+=1
        s.t={k:v for k,v in s.t.items() if sum(v)>=2}
        s.extra=extra
    def evidence(s,r):
        tot=sum(s.docs)
        lp=[math.log((s.docs[c]+1)/(tot+3)) for c in range(3)]
        known=0
        for t in set(r['toks']+s.extra(r)):
            c=s.t.get(t)
            if c is None: continue
            known+=1
            l=[math.log((c[k]+0.5)/(s.docs[k]+1)) for k in range(3)]
            m=max(l)
            for k in range(3): lp[k]+=max(l[k]-m,-4.0)
        return lp,known

def decide(reasons,thr=5.0):
    score=sum(w for _,w,_ in reasons)
    if score<thr or not any(w>0 for _,w,_ in reasons): return 'clean',score
    if any(c=='malicious' and w>=4 for _,w,c in reasons): return 'malicious',score
    ph=sum(w for _,w,c in reasons if c in('phish','malicious') and w>0)
    sp=sum(w for _,w,c in reasons if c=='spam' and w>0)
    return ('phish' if ph>=sp else 'spam'),score

def metrics(preds):
    # preds: list of (row, verdict)
    n=collections.Counter(); fl=collections.Counter(); 
    for r,v in preds:
        n[r['y']]+=1
        if v!='clean': fl[r['y']]+=1
    tp=fl[1]+fl[2]; fp=fl[0]; pos=n[1]+n[2]
    p=tp/max(tp+fp,1); rc=tp/pos; f1=2*p*rc/(p+rc)
    return dict(f1=round(f1,4),fpr=round(fp/n[0],4),fp=fp,phish=round(fl[2]/n[2],4),spam=round(fl[1]/n[1],4))

def chi2q(x2,v):
    m=x2/2.0; s=t=math.exp(-m)
    for i in range(1,v//2):
        t*=m/i; s+=t
    return min(s,1.0)
class SB:
    def __init__(s,tr,feats=lambda r:r['toks']):
        s.nh=s.nb=0; s.t={}; s.feats=feats
        for r in tr:
            bad=r['y']>0
            if bad: s.nb+=1
            else: s.nh+=1
            for t in set(feats(r)):
                c=s.t.setdefault(t,[0,0]); c[1 if bad else 0]+=1
    def prob(s,t,S=0.45,X=0.5):
        c=s.t.get(t)
        if c is None: return None
        hr=c[0]/s.nh; br=c[1]/s.nb
        p=br/(hr+br) if hr+br>0 else 0.5
        n=c[0]+c[1]
        return (S*X+n*p)/(S+n)
    def score(s,r,minstr=0.1,maxd=150):
        ps=[]
        for t in set(s.feats(r)):
            p=s.prob(t)
            if p is None or abs(p-0.5)<minstr: continue
            ps.append(p)
        ps.sort(key=lambda p:-abs(p-0.5)); ps=ps[:maxd]
        if not ps: return 0.5
        H=S=0.0
        for p in ps:
            S+=math.log(1-p); H+=math.log(p)   # spambayes: S uses ln(1-p)
        n=len(ps)
        S=1-chi2q(-2*S,2*n); H=1-chi2q(-2*H,2*n)
        return (S-H+1)/2
class SBr(SB):
    """Rust semantics: tokens pruned on their total over the three classes."""
    def __init__(s, tr, pos, keep):
        s.nh = sum(1 for r in tr if r['y'] == 0); s.nb = sum(1 for r in tr if r['y'] in pos)
        s.t = {}; s.feats = lambda r: r['toks']
        for t, c in keep.items():
            b = sum(c[i] for i in pos)
            if c[0] + b > 0: s.t[t] = [c[0], b]

def system(oofd, lo, hi, W, hamcut, HW=-8.0, thr=5.0):
    preds = []
    for r in rows:
        sc, (lp, k) = oofd[r['path']]; s = max(sc)
        rs = [tuple(x) for x in r['reasons']]
        cls = 'phish' if lp[2] >= lp[1] else 'spam'
        if s > lo: rs.append(('BAYES', W * min((s - lo) / (hi - lo), 1), cls))
        elif s < hamcut: rs.append(('BAYES_HAM', HW * min((hamcut - s) / hamcut, 1), 'none'))
        preds.append((r, decide(rs, thr)[0]))
    return metrics(preds)

allres = collections.defaultdict(list)
for seed in ('', 'a', 'b', 'c'):
    for r in rows: r['fold'] = int(hashlib.md5((seed + r['path']).encode()).hexdigest(), 16) % 5
    oofd = {}
    for f in range(5):
        tr = [r for r in rows if r['fold'] != f]; te = [r for r in rows if r['fold'] == f]
        nb = NB(tr); ms = [SBr(tr, (1, 2), nb.t), SBr(tr, (1,), nb.t)]
        for r in te: oofd[r['path']] = ([m.score(r) for m in ms], nb.evidence(r))
    for lo in (0.2, 0.3, 0.4, 0.5):
        for hi in (0.7, 0.8, 0.9, 0.95):
            for W in (5, 6, 7):
                for hc in (0.1, 0.2, 0.3):
                    for HW in (-6.0, -8.0):
                        allres[(lo, hi, W, hc, HW)].append(system(oofd, lo, hi, W, hc, HW))
rs = []
for k, ms in allres.items():
    avg = {x: sum(m[x] for m in ms) / len(ms) for x in ('fp', 'f1', 'phish', 'spam')}
    rs.append((avg['fp'], -avg['f1'], k, avg, [m['fp'] for m in ms]))
rs.sort()
for x in [x for x in rs if x[3]['f1'] >= 0.975 and x[3]['phish'] >= 0.965][:10]:
    print(x[2], {a: round(b, 4) for a, b in x[3].items()}, 'fp per assignment', x[4])
