import subprocess,sys,random,statistics as st,re,os
libs=dict(a.split('=',1) for a in sys.argv[3].split(','))
wl=sys.argv[1]; args=sys.argv[2].split(); N=int(sys.argv[4]) if len(sys.argv)>4 else 15
res={k:[] for k in libs}
for r in range(N):
    ks=list(libs); random.shuffle(ks)
    for k in ks:
        env=dict(os.environ, LD_PRELOAD=libs[k])
        out=subprocess.run(['/work/main/dist/native/bin/'+wl]+args,env=env,capture_output=True,text=True).stdout
        res[k].append(float(re.search(r'mops=([\d.]+)',out).group(1)))
base=list(libs)[0]
for k in libs:
    rs=sorted(a/b for a,b in zip(res[k],res[base])); n=len(rs)
    print(f"{k:10s} med {st.median(rs):.3f} [{rs[n//4]:.3f},{rs[3*n//4]:.3f}] mops {st.median(res[k]):.1f}")
