# Patches (on) or removes (off) trace markers around each timed size in BenchWorkload, for
# threads.py. Diagnostic only: never commit the patched file. python3 markers.py on|off
import sys
import os
p=os.path.join(os.path.dirname(os.path.abspath(__file__)),'../../../collectives/src/main/java/io/seqpar/collectives/bench/BenchWorkload.java')
s=open(p).read()
UP='java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime()'
if sys.argv[1]=='on':
    s=s.replace("""      CompilerQuiet.await();
    }
  }""","""      CompilerQuiet.await();
      marker(new StringBuilder("SEQPAR-BEGIN rank=").append(rank).append(" bytes=").append(curBytes).append(" up=").append(%s).toString());
    }
  }
  long curBytes;""" % UP)
    s=s.replace("""      final long[] times = new long[spec.iters()];
      final long copiedBefore""","""      final long[] times = new long[spec.iters()];
      curBytes = bytes;
      final long copiedBefore""")
    s=s.replace("""      final StringBuilder sb = new StringBuilder("RESULT ")""","""      marker(new StringBuilder("SEQPAR-END rank=").append(rank).append(" up=").append(%s).toString());
      final StringBuilder sb = new StringBuilder("RESULT ")""" % UP)
    s=s.replace("""  private static void record(""","""  static void marker(String m) {
    try (var o = new java.io.FileOutputStream("/sys/kernel/tracing/trace_marker")) {
      o.write(m.getBytes());
    } catch (Exception e) {
    }
  }

  private static void record(""")
else:
    s=s.replace("""      marker(new StringBuilder("SEQPAR-BEGIN rank=").append(rank).append(" bytes=").append(curBytes).append(" up=").append(%s).toString());
    }
  }
  long curBytes;""" % UP,"""    }
  }""")
    s=s.replace("      curBytes = bytes;\n","")
    s=s.replace("""      marker(new StringBuilder("SEQPAR-END rank=").append(rank).append(" up=").append(%s).toString());\n""" % UP,"")
    i=s.find("  static void marker(")
    if i>=0:
        j=s.find("  private static void record(")
        s=s[:i]+s[j:]
open(p,'w').write(s)
