import { describe, expect, it } from 'vitest';
import { parsePerfAnnotate, parsePerfReport } from './perf.ts';

// What `perf report --stdio --show-total-period --sort dso,sym --percent-limit 0 -t ';'` prints.
const REPORT = `# To display the perf.data header info, please use --header/--header-only options.
#
# Samples: 31K of event 'cpu-clock'
# Event count (approx.): 7919000000
#
# Overhead;      Period;Shared Object       ;Symbol
 85.10% ; 6739250000 ;larson              ;[.] hk_lane_thread
 4.56%  ; 361500000  ;libhakmem-fast.so   ;[.] hak_malloc
 2.63%  ; 208250000  ;libhakmem-fast.so   ;[.] hak_free
 1.50%  ; 118785000  ;libc.so.6           ;[.] __memset_avx2_unaligned_erms
 0.48%  ; 38250000   ;[kernel.kallsyms]   ;[k] clear_page_erms


#
# (Tip: For tracepoint events, try: perf report -s trace_fields)
#
`;

describe('parsePerfReport', () => {
  it('reads every sample row: CPU seconds from the period, the object, the symbol, kernel or user', () => {
    const rows = parsePerfReport(REPORT);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({ seconds: 6.73925, dso: 'larson', symbol: 'hk_lane_thread', kernel: false });
    expect(rows[4]).toEqual({ seconds: 0.03825, dso: '[kernel.kallsyms]', symbol: 'clear_page_erms', kernel: true });
  });

  it('with the commands to keep, reads a report sorted by comm first and keeps only their rows', () => {
    const text = [
      '# Overhead;      Period;Command;Shared Object;Symbol',
      ' 46.17%;1814250000;thread_churn;[kernel.kallsyms];[k] _raw_spin_unlock_irqrestore',
      ' 20.47%;804250000;thread_churn;libhakmem-fast.so;[.] hk_remote_drain',
      ' 4.81%;189000000;:-1;[kernel.kallsyms];[k] account_kernel_stack.isra.0',
      ' 0.99%;39000000;ksoftirqd/0;[kernel.kallsyms];[k] rcu_core',
      ' 0.12%;4750000;perf;[kernel.kallsyms];[k] do_syscall_64',
    ].join('\n');
    const rows = parsePerfReport(text, ['thread_churn', ':-1']);
    expect(rows.map((r) => [r.dso, r.symbol, r.kernel])).toEqual([
      ['[kernel.kallsyms]', '_raw_spin_unlock_irqrestore', true],
      ['libhakmem-fast.so', 'hk_remote_drain', false],
      ['[kernel.kallsyms]', 'account_kernel_stack.isra.0', true],
    ]);
    expect(rows[1]!.seconds).toBeCloseTo(0.80425, 9);
    expect(parsePerfReport(text, ['larson'])).toEqual([]);
  });

  it('returns nothing for a report without rows (perf failed or sampled nothing)', () => {
    expect(parsePerfReport('# Samples: 0\n#\n')).toEqual([]);
  });
});

describe('parsePerfAnnotate', () => {
  it("reads each instruction's share of the symbol, address and text, and nothing else", () => {
    const text = ` Percent |\tSource code & Disassembly of libhakmem-fast.so for cpu-clock (833 samples, percent: local period)
------------------------------------------------------------------
         :
         : 5    0000000000001850 <free>:
    1.32 :   1853:   shr    $0x15,%rax
   22.45 :   1866:   cmpb   $0x1,(%rdx,%rax,1)
    0.00 :   186a:   jne    18b0 <free+0x60>
`;
    expect(parsePerfAnnotate(text)).toEqual([
      { pct: 1.32, addr: '1853', instr: 'shr $0x15,%rax' },
      { pct: 22.45, addr: '1866', instr: 'cmpb $0x1,(%rdx,%rax,1)' },
      { pct: 0, addr: '186a', instr: 'jne 18b0 <free+0x60>' },
    ]);
  });
});
