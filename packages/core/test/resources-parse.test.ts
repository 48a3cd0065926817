/**
 * Resource configurations in MiG's `::KEYWORD::` format: a realistic configuration, MiG's
 * defaults, the JSON form, the registration-time runtime environment check, and every class of
 * bad input (unknown keyword, wrong type, missing required, oversized, hostile strings).
 */
import { describe, expect, it } from 'vitest';
import {
  checkProvidedRuntimeEnvironments, ENFORCEABLE_LIMITS, formatResourceConfig, parseResourceConfig, RESOURCE_CONFIG_LIMITS,
  RESOURCE_KEYWORDS, ResourceConfigError, resourceConfigFromJson, resourceConfigToJson, runtimeEnvironmentFromJson,
  type ResourceConfig,
} from '../src/index.js';
import { codeOf } from '../../../test/support/errors.js';

/** A cluster front-end as MiG owners write them (our own text, in the shape of MiG's templates). */
const CLUSTER = `::MIGUSER::
miguser

::HOSTURL::
grid-fe.physics.example.org

::HOSTIDENTIFIER::
0

::RESOURCEHOME::
/home/miguser/MiG/mig_frontend/grid-fe.physics.example.org.0

::SCRIPTLANGUAGE::
sh

::SSHPORT::
2222

::ANONYMOUS::
False

::HOSTKEY::
grid-fe.physics.example.org,192.0.2.17 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv7Ph+Q2bX/z0dmbB1cTtWw2Gxg3Y8zvK0r1sA4fM1p

::FRONTENDNODE::
grid-fe

::NODECOUNT::
32    # nodes behind the front-end

::CPUCOUNT::
16

::MEMORY::
131072

::DISK::
400

::ARCHITECTURE::
AMD64

::JOBTYPE::
all

::ENFORCELIMITS::
ULIMIT_CPUTIME ULIMIT_MEMORY

::LRMSTYPE::
Batch

::LRMSSUBMITCOMMAND::
/opt/mig/lrms/submit_job.sh   # wraps sbatch

::LRMSDONECOMMAND::
/opt/mig/lrms/query_done.sh

::LRMSREMOVECOMMAND::
/opt/mig/lrms/remove_job.sh

::LRMSDELAYCOMMAND::
/opt/mig/lrms/queue_delay.sh

::PUBLICNAME::
Physics cluster

::PUBLICINFO::
32 nodes with 16 cores, InfiniBand \\# of GPUs: 0

::MAXDOWNLOADBANDWIDTH::
20480

::ADMINEMAIL::
grid-admin@physics.example.org ops@example.org

::RUNTIMEENVIRONMENT::
name: povray-3.6
POVRAY_HOME=/usr/local/povray
name: LOCALDISK
name: GENERECON-2.1.3
GENERECON_HOME=/home/miguser/GeneRecon
GUILE_LOAD_PATH=$GENERECON_HOME

::EXECONFIG::
name=leader
nodecount=32
cputime=86400
execution_precondition=uptime | grep "load average: 0"
prepend_execute=nice -19
exehostlog=/home/miguser/MiG/mig_exe/+EXENAME+/exehost.log
joblog=/home/miguser/MiG/mig_exe/+EXENAME+/job.log
execution_user=miguser
execution_node=grid-fe
execution_dir=/home/miguser/MiG/mig_exe/grid-fe.physics.example.org.0/+EXENAME+/
start_command=local
status_command=local
stop_command=local
clean_command=local
continuous=True
shared_fs=True
vgrid=Generic, Physics, Physics/Theory

::EXECONFIG::
name=screensaver
cputime=600
continuous=False
shared_fs=False
vgrid=Physics

::STORECONFIG::
name=scratch
storage_disk=1000
storage_protocol=sftp
storage_port=22
storage_user=miguser
storage_node=grid-fe
storage_dir=/scratch/mig/+STORENAME+/
start_command=local
status_command=local
stop_command=local
clean_command=local
shared_fs=True
vgrid=Physics
`;

/** The smallest configuration we accept: the required keywords and one named execution unit. */
const MINIMAL = `::HOSTURL::
host.example.org

::NODECOUNT::
1

::CPUCOUNT::
4

::MEMORY::
8192

::DISK::
20

::ARCHITECTURE::
AMD64

::EXECONFIG::
name=exe0
`;

function problemsOf(fn: () => unknown): { line?: number; path?: string; keyword?: string; key?: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ResourceConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ResourceConfigError');
}

describe('parseResourceConfig on a realistic cluster configuration', () => {
  const cfg = parseResourceConfig(CLUSTER);

  it('reads the front-end and the matchmaking fields', () => {
    expect(cfg.HOSTURL).toBe('grid-fe.physics.example.org');
    expect(cfg.HOSTIDENTIFIER).toBe('0');
    expect(cfg.ANONYMOUS).toBe(false);
    expect(cfg.SSHPORT).toBe(2222);
    expect(cfg.HOSTKEY.startsWith('grid-fe.physics.example.org,192.0.2.17 ssh-ed25519 ')).toBe(true);
    expect([cfg.NODECOUNT, cfg.CPUCOUNT, cfg.MEMORY, cfg.DISK]).toEqual([32, 16, 131072, 400]);
    expect(cfg.ARCHITECTURE).toBe('AMD64');
    expect(cfg.JOBTYPE).toBe('all');
    expect(cfg.SANDBOX).toBe(false);
    expect(cfg.PLATFORM).toBe('');
  });

  it('reads limits, the batch commands (comments removed, escapes resolved) and the admin addresses', () => {
    expect(cfg.ENFORCELIMITS).toEqual(['ULIMIT_CPUTIME', 'ULIMIT_MEMORY']);
    expect(cfg.LRMSTYPE).toBe('Batch');
    expect(cfg.LRMSSUBMITCOMMAND).toBe('/opt/mig/lrms/submit_job.sh');
    expect(cfg.PUBLICINFO).toBe('32 nodes with 16 cores, InfiniBand # of GPUs: 0');
    expect(cfg.MAXDOWNLOADBANDWIDTH).toBe(20480);
    expect(cfg.MAXUPLOADBANDWIDTH).toBe(0);
    expect(cfg.ADMINEMAIL).toEqual(['grid-admin@physics.example.org', 'ops@example.org']);
  });

  it('reads provided runtime environments upper-cased, with their variable values', () => {
    expect(cfg.RUNTIMEENVIRONMENT).toEqual([
      { name: 'POVRAY-3.6', variables: [{ name: 'POVRAY_HOME', value: '/usr/local/povray' }] },
      { name: 'LOCALDISK', variables: [] },
      {
        name: 'GENERECON-2.1.3',
        variables: [
          { name: 'GENERECON_HOME', value: '/home/miguser/GeneRecon' },
          { name: 'GUILE_LOAD_PATH', value: '$GENERECON_HOME' },
        ],
      },
    ]);
  });

  it('reads execution units, fills MiG defaults for sub-keywords left out, and expands +EXENAME+', () => {
    expect(cfg.EXECONFIG).toHaveLength(2);
    const [leader, saver] = cfg.EXECONFIG;
    expect(leader).toMatchObject({
      name: 'leader', nodecount: 32, cputime: 86400, prepend_execute: 'nice -19',
      execution_precondition: 'uptime | grep "load average: 0"',
      exehostlog: '/home/miguser/MiG/mig_exe/leader/exehost.log',
      execution_dir: '/home/miguser/MiG/mig_exe/grid-fe.physics.example.org.0/leader/',
      start_command: 'local', continuous: true, shared_fs: true, vgrid: ['Generic', 'Physics', 'Physics/Theory'],
    });
    expect(saver).toEqual({
      name: 'screensaver', cputime: 600, nodecount: 1, execution_precondition: '', prepend_execute: '',
      exehostlog: 'exehost.log', joblog: 'job.log', execution_user: '', execution_node: '', execution_dir: '',
      start_command: 'default', status_command: 'default', stop_command: 'default', clean_command: 'default',
      continuous: false, shared_fs: false, vgrid: ['Physics'],
    });
  });

  it('reads storage units and expands +STORENAME+', () => {
    expect(cfg.STORECONFIG).toEqual([{
      name: 'scratch', storage_disk: 1000, storage_protocol: 'sftp', storage_port: 22, storage_user: 'miguser',
      storage_node: 'grid-fe', storage_dir: '/scratch/mig/scratch/', start_command: 'local', status_command: 'local',
      stop_command: 'local', clean_command: 'local', shared_fs: true, vgrid: ['Physics'],
    }]);
  });

  it('writes canonical text that parses back to the same configuration, and the JSON form too', () => {
    const text = formatResourceConfig(cfg);
    expect(parseResourceConfig(text)).toEqual(cfg);
    expect(text).toContain('::EXECONFIG::\nname=leader\ncputime=86400\nnodecount=32\n');
    expect(text).toContain('\n::PUBLICINFO::\n32 nodes with 16 cores, InfiniBand \\# of GPUs: 0\n');
    expect(text).toContain('::RUNTIMEENVIRONMENT::\nname: POVRAY-3.6\nPOVRAY_HOME=/usr/local/povray\nname: LOCALDISK\n');
    const json = JSON.parse(JSON.stringify(resourceConfigToJson(cfg))) as unknown;
    expect(resourceConfigFromJson(json)).toEqual(cfg);
  });

  it('reads MiG-written configurations with lower-case keywords, CRLF and extra colons', () => {
    const variant = CLUSTER.replace('::HOSTURL::', '::hosturl::').replace('::DISK::', ':::DISK:::').replace(/\n/g, '\r\n');
    expect(parseResourceConfig(variant)).toEqual(cfg);
  });
});

describe('a sandbox resource in the shape MiG generates for screen-saver sandboxes', () => {
  it('parses, with NA placeholders, quoted empty commands and single-run units', () => {
    const cfg = parseResourceConfig(`::HOSTURL::
sandbox-7f3a.example.org

::HOSTIDENTIFIER::
3

::MIGUSER::
mig

::RESOURCEHOME::
/opt/mig/sandbox

::SSHPORT::
22

::MEMORY::
128

::DISK::
10

::CPUCOUNT::
1

::SANDBOX::
True

::SANDBOXKEY::
4d1f0c2b9a8e7d6c

::ARCHITECTURE::
X86

::PLATFORM::
ONE-CLICK

::NODECOUNT::
1

::HOSTKEY::

::FRONTENDNODE::
NA

::FRONTENDLOG::
NA

::EXECONFIG::
name=sandboxexe
nodecount=1
cputime=3000
execution_precondition=''
prepend_execute=
exehostlog=NA
joblog=NA
execution_user=NA
execution_node=NA
execution_dir=NA
start_command=NA
status_command=NA
stop_command=NA
clean_command=NA
continuous=False
shared_fs=False
vgrid=Generic
`);
    expect(cfg).toMatchObject({ SANDBOX: true, SANDBOXKEY: '4d1f0c2b9a8e7d6c', PLATFORM: 'ONE-CLICK', HOSTKEY: '', FRONTENDLOG: 'NA' });
    expect(cfg.EXECONFIG[0]).toMatchObject({ name: 'sandboxexe', execution_precondition: "''", prepend_execute: '', continuous: false });
    expect(parseResourceConfig(formatResourceConfig(cfg))).toEqual(cfg);
  });
});

describe('defaults', () => {
  it('fills MiG defaults for everything but the required keywords', () => {
    const cfg = parseResourceConfig(MINIMAL);
    expect(cfg).toMatchObject({
      HOSTIDENTIFIER: '', ANONYMOUS: true, HOSTKEY: '', SSHPORT: 22, MIGUSER: '', RESOURCEHOME: '', FRONTENDNODE: '',
      FRONTENDPROXY: '', SCRIPTLANGUAGE: 'sh', JOBTYPE: 'batch', ENFORCELIMITS: [...ENFORCEABLE_LIMITS],
      RUNTIMEENVIRONMENT: [], FRONTENDLOG: 'frontend.log', CURLLOG: '/dev/null', SSHMULTIPLEX: false, LRMSTYPE: 'Native',
      LRMSSUBMITCOMMAND: '', PUBLICNAME: '', SANDBOX: false, SANDBOXKEY: '', MAXDOWNLOADBANDWIDTH: 0,
      MAXUPLOADBANDWIDTH: 0, PLATFORM: '', ADMINEMAIL: [], MINPRICE: '0', STORECONFIG: [],
    });
    expect(cfg.EXECONFIG[0]).toMatchObject({ name: 'exe0', cputime: 3600, nodecount: 1, continuous: true, vgrid: ['Generic'] });
  });

  it('uses the first of the site lists as the default and checks values against them', () => {
    const opts = { architectures: ['ARM64', 'AMD64'], jobTypes: ['bulk', 'batch'], scriptLanguages: ['python'], lrmsTypes: ['Slurm'] };
    const text = MINIMAL.replace('::ARCHITECTURE::\nAMD64\n', '::ARCHITECTURE::\nARM64\n');
    const cfg = parseResourceConfig(text, opts);
    expect([cfg.ARCHITECTURE, cfg.JOBTYPE, cfg.SCRIPTLANGUAGE, cfg.LRMSTYPE]).toEqual(['ARM64', 'bulk', 'python', 'Slurm']);
    expect(problemsOf(() => parseResourceConfig(MINIMAL.replace('AMD64', 'X86'), opts))[0]?.keyword).toBe('ARCHITECTURE');
  });

  it('treats an empty boolean block as False and an empty string block as the default (as MiG)', () => {
    const cfg = parseResourceConfig(`${MINIMAL}\n::ANONYMOUS::\n\n::JOBTYPE::\n\n::HOSTKEY::\n`);
    expect(cfg.ANONYMOUS).toBe(false);
    expect(cfg.JOBTYPE).toBe('batch');
    expect(cfg.HOSTKEY).toBe('');
  });

  it('reads ENFORCELIMITS NONE as no limits, and writes no limits back as NONE', () => {
    const cfg = parseResourceConfig(`${MINIMAL}\n::ENFORCELIMITS::\nnone\n`);
    expect(cfg.ENFORCELIMITS).toEqual([]);
    expect(formatResourceConfig(cfg)).toContain('::ENFORCELIMITS::\nNONE\n');
  });

  it('keeps the last value when a single-value keyword is given twice (as MiG)', () => {
    expect(parseResourceConfig(`${MINIMAL}\n::CPUCOUNT::\n8\n`).CPUCOUNT).toBe(8);
  });

  it('lists every keyword in the table with its compatibility status', () => {
    const compat = RESOURCE_KEYWORDS.filter((k) => k.compatibilityOnly).map((k) => k.name);
    expect(compat).toEqual(expect.arrayContaining(['HOSTKEY', 'SSHPORT', 'MIGUSER', 'FRONTENDNODE', 'SSHMULTIPLEX', 'STORECONFIG']));
    expect(RESOURCE_KEYWORDS.filter((k) => k.required).map((k) => k.name))
      .toEqual(['HOSTURL', 'NODECOUNT', 'CPUCOUNT', 'MEMORY', 'DISK', 'ARCHITECTURE', 'EXECONFIG']);
  });
});

describe('resourceConfigFromJson', () => {
  it('accepts numbers as JSON numbers or digit strings and lists in either form', () => {
    const cfg = resourceConfigFromJson({
      HOSTURL: 'host.example.org', NODECOUNT: '2', CPUCOUNT: 8, MEMORY: 4096, DISK: 0, ARCHITECTURE: 'AMD64',
      ENFORCELIMITS: [], ADMINEMAIL: 'a@example.org b@example.org', SANDBOX: true,
      RUNTIMEENVIRONMENT: ['localdisk', { name: 'python-3', variables: [{ name: 'PYTHON', value: '/usr/bin/python3' }] }],
      EXECONFIG: [{ name: 'exe0', cputime: 60, vgrid: ['Generic', 'Chemistry'], continuous: false }],
    });
    expect(cfg.NODECOUNT).toBe(2);
    expect(cfg.ENFORCELIMITS).toEqual([]);
    expect(cfg.ADMINEMAIL).toEqual(['a@example.org', 'b@example.org']);
    expect(cfg.RUNTIMEENVIRONMENT.map((re) => re.name)).toEqual(['LOCALDISK', 'PYTHON-3']);
    expect(cfg.EXECONFIG[0]).toMatchObject({ cputime: 60, vgrid: ['Generic', 'Chemistry'], continuous: false });
  });

  it('names bad fields by their JSON path', () => {
    const problems = problemsOf(() => resourceConfigFromJson({
      HOSTURL: 'host.example.org', NODECOUNT: 1.5, CPUCOUNT: 1, MEMORY: 1, DISK: 0, ARCHITECTURE: 'AMD64',
      EXECONFIG: [{ name: 'exe0', cputime: 'soon', colour: 'red' }],
    }));
    expect(problems.map((p) => p.path)).toEqual(['EXECONFIG[0].colour']);
    const later = problemsOf(() => resourceConfigFromJson({
      HOSTURL: 'host.example.org', NODECOUNT: 1.5, CPUCOUNT: 1, MEMORY: 1, DISK: 0, ARCHITECTURE: 'AMD64',
      EXECONFIG: [{ name: 'exe0', cputime: 'soon' }],
    }));
    expect(later.map((p) => [p.path, p.key])).toEqual([['NODECOUNT', undefined], ['EXECONFIG[0].cputime', 'cputime']]);
  });

  it('refuses things that are not objects, VGrid names with commas, and too many fields', async () => {
    expect(await codeOf(() => resourceConfigFromJson('::HOSTURL::'))).toBe('MIG_E_RESOURCE_CONFIG_INVALID');
    expect(await codeOf(() => resourceConfigFromJson([]))).toBe('MIG_E_RESOURCE_CONFIG_INVALID');
    const base = parseResourceConfig(MINIMAL);
    const comma = { ...resourceConfigToJson(base), EXECONFIG: [{ name: 'exe0', vgrid: ['a,b'] }] };
    expect(problemsOf(() => resourceConfigFromJson(comma))[0]?.path).toBe('EXECONFIG[0].vgrid[0]');
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`K${i}`, 1]));
    expect(await codeOf(() => resourceConfigFromJson(many))).toBe('MIG_E_TOO_LARGE');
  });

  it('formatResourceConfig validates before writing', async () => {
    const bad = { ...parseResourceConfig(MINIMAL), CPUCOUNT: -1 } as ResourceConfig;
    expect(await codeOf(() => formatResourceConfig(bad))).toBe('MIG_E_RESOURCE_CONFIG_INVALID');
  });
});

describe('checkProvidedRuntimeEnvironments', () => {
  const povray = runtimeEnvironmentFromJson({
    RENAME: 'POVRAY-3.6',
    ENVIRONMENTVARIABLE: [{ name: 'POVRAY_HOME', example: '/usr/local/povray', description: 'Povray home' }],
  });
  const localdisk = runtimeEnvironmentFromJson({ RENAME: 'LOCALDISK' });
  const known = new Map([[povray.RENAME, povray], [localdisk.RENAME, localdisk]]);
  const withRes = (lines: string): ResourceConfig => parseResourceConfig(`${MINIMAL}\n::RUNTIMEENVIRONMENT::\n${lines}\n`);

  it('accepts runtime environments that exist, given exactly their variables', () => {
    expect(() => checkProvidedRuntimeEnvironments(withRes('name: povray-3.6\nPOVRAY_HOME=/opt/povray\nname: localdisk'), (n) => known.get(n))).not.toThrow();
  });

  it('names unknown runtime environments, missing and extra variables', () => {
    const problems = problemsOf(() => checkProvidedRuntimeEnvironments(
      withRes('name: povray-3.6\nname: localdisk\nSCRATCH=/tmp\nname: matlab'),
      (n) => known.get(n),
    ));
    expect(problems.map((p) => p.path)).toEqual(['RUNTIMEENVIRONMENT[0]', 'RUNTIMEENVIRONMENT[1]', 'RUNTIMEENVIRONMENT[2]']);
    expect(problems[0]?.message).toContain('needs a value for POVRAY_HOME');
    expect(problems[1]?.message).toContain('defines no variable SCRATCH');
    expect(problems[2]?.message).toContain('does not exist');
  });
});

describe('bad input', () => {
  it('unknown keyword: names it with its line and suggests the closest', () => {
    const problems = problemsOf(() => parseResourceConfig(`${MINIMAL}\n::CPUCOUTN::\n4\n`));
    expect(problems).toEqual([{ line: 22, message: expect.stringContaining('unknown keyword ::CPUCOUTN:: (did you mean CPUCOUNT?)') as string }]);
  });

  it('unknown and malformed unit lines, duplicate keys and unit names', () => {
    const problems = problemsOf(() => parseResourceConfig(`${MINIMAL}colour=red\ncputime\ncputime=1\ncputime=2\n\n::EXECONFIG::\nname=exe0\n`));
    expect(problems.map((p) => [p.line, p.keyword, p.key])).toEqual([
      [21, 'EXECONFIG', undefined], [22, 'EXECONFIG', undefined], [24, 'EXECONFIG', 'cputime'],
    ]);
    expect(problems[1]?.message).toContain('old positional format');
    const twice = problemsOf(() => parseResourceConfig(`${MINIMAL}\n::EXECONFIG::\nname=exe0\n`));
    expect(twice.map((p) => [p.keyword, p.key])).toEqual([['EXECONFIG', 'name']]);
    expect(twice[0]?.message).toContain('same name as an earlier one');
  });

  it('wrong types: text for numbers, bad booleans, two lines for one, bad enums, bad ports', () => {
    const text = MINIMAL
      .replace('::CPUCOUNT::\n4', '::CPUCOUNT::\nfour')
      .replace('::MEMORY::\n8192', '::MEMORY::\n8192\n4096')
      .replace('::ARCHITECTURE::\nAMD64', '::ARCHITECTURE::\namd64')
      .concat('\n::SANDBOX::\nmaybe\n\n::SSHPORT::\n70000\n\n::LRMSTYPE::\nPBS\n\n::ENFORCELIMITS::\nULIMIT_CPU\n\n::EXECONFIG::\nname=exe1\ncontinuous=yes\ncputime=1e3\n');
    const problems = problemsOf(() => parseResourceConfig(text));
    expect(problems.map((p) => p.key ?? p.keyword)).toEqual([
      'CPUCOUNT', 'MEMORY', 'ARCHITECTURE', 'SANDBOX', 'SSHPORT', 'LRMSTYPE', 'ENFORCELIMITS', 'continuous', 'cputime',
    ]);
    expect(problems[0]?.message).toContain('digits');
    expect(problems[1]?.message).toContain('takes one line, but has 2');
    expect(problems[4]?.message).toContain('between 1 and 65535');
  });

  it('missing required keywords and a unit without a name', () => {
    const problems = problemsOf(() => parseResourceConfig('::HOSTKEY::\n\n::EXECONFIG::\ncputime=60\n'));
    expect(problems.map((p) => p.key ?? p.keyword)).toEqual(['name', 'HOSTURL', 'NODECOUNT', 'CPUCOUNT', 'MEMORY', 'DISK', 'ARCHITECTURE']);
    expect(problemsOf(() => parseResourceConfig(MINIMAL.replace('::EXECONFIG::\nname=exe0\n', ''))).map((p) => p.keyword)).toEqual(['EXECONFIG']);
    expect(problems[1]?.message).toContain('is required: add ::HOSTURL::');
  });

  it('oversized input: whole text, one line, sections, units', async () => {
    expect(await codeOf(() => parseResourceConfig('x'.repeat(RESOURCE_CONFIG_LIMITS.maxBytes + 1)))).toBe('MIG_E_TOO_LARGE');
    expect(await codeOf(() => parseResourceConfig(`::PUBLICINFO::\n${'a'.repeat(RESOURCE_CONFIG_LIMITS.maxLineLength + 1)}\n`))).toBe('MIG_E_TOO_LARGE');
    const sections = Array.from({ length: RESOURCE_CONFIG_LIMITS.maxSections + 1 }, () => '::MINPRICE::\n0\n').join('\n');
    expect(await codeOf(() => parseResourceConfig(sections))).toBe('MIG_E_TOO_LARGE');
    const units = Array.from({ length: RESOURCE_CONFIG_LIMITS.maxExeUnits + 1 }, (_, i) => `::EXECONFIG::\nname=e${i}\n`).join('\n');
    expect(await codeOf(() => parseResourceConfig(`${MINIMAL}\n${units}`))).toBe('MIG_E_TOO_LARGE');
    const vars = Array.from({ length: 41 }, (_, i) => `V${i}=x`).join('\n');
    expect(await codeOf(() => parseResourceConfig(`${MINIMAL}\n::RUNTIMEENVIRONMENT::\nname: X\n${vars}\n`))).toBe('MIG_E_TOO_LARGE');
    expect(await codeOf(() => parseResourceConfig(`${MINIMAL}\n::ADMINEMAIL::\n${Array.from({ length: 21 }, (_, i) => `a${i}@example.org`).join(' ')}\n`)))
      .toBe('MIG_E_RESOURCE_CONFIG_INVALID');
  });

  it('hostile strings: markup, shell metacharacters in safe paths, NUL, control characters, traversal', () => {
    const cases: [string, string, string | undefined][] = [
      ['::PUBLICNAME::\n<script>alert(1)</script>\n', 'PUBLICNAME', undefined],
      ['::RESOURCEHOME::\n/home/mig; rm -rf /\n', 'RESOURCEHOME', undefined],
      ['::FRONTENDLOG::\n$(reboot)\n', 'FRONTENDLOG', undefined],
      ['::HOSTURL::\nhost.example.org\u0000evil\n', 'HOSTURL', undefined],
      ['::EXECONFIG::\nname=exe0\nexecution_dir=/tmp/`id`\n', 'EXECONFIG', 'execution_dir'],
      ['::EXECONFIG::\nname=exe0\nvgrid=Generic,../../etc\n', 'EXECONFIG', 'vgrid'],
      ['::EXECONFIG::\nname=exe 0\n', 'EXECONFIG', 'name'],
      ['::EXECONFIG::\nname=exe_0\n', 'EXECONFIG', 'name'],
      ['::RUNTIMEENVIRONMENT::\nname: ../../etc/passwd\n', 'RUNTIMEENVIRONMENT', undefined],
      ['::RUNTIMEENVIRONMENT::\nname: X\nPATH;id=1\n', 'RUNTIMEENVIRONMENT', undefined],
      ['::ADMINEMAIL::\nroot@example.org<script>\n', 'ADMINEMAIL', undefined],
      ['::PUBLICINFO::\nline\u001b[31mred\n', 'PUBLICINFO', undefined],
      ['::PUBLICINFO::\nsplit\u2028line\n', 'PUBLICINFO', undefined],
    ];
    for (const [extra, keyword, key] of cases) {
      const problems = problemsOf(() => parseResourceConfig(`${MINIMAL}\n${extra}`));
      expect(problems.map((p) => [p.keyword, p.key]), extra).toEqual([[keyword, key]]);
      for (const p of problems) {
        expect(p.message).not.toMatch(/<script>|rm -rf|reboot|passwd|\u0000|\u001b/);
      }
    }
  });

  it('a value line that looks like a keyword (a forgotten blank line) is an error', () => {
    const problems = problemsOf(() => parseResourceConfig(MINIMAL.replace('::DISK::\n20\n\n', '::DISK::\n20\n::ARCHITECTURE::\n')));
    expect(problems[0]?.message).toContain('put a blank line before it');
  });

  it('keywords that are not plain names are never echoed', () => {
    const problems = problemsOf(() => parseResourceConfig(`${MINIMAL}\n::<IMG SRC=X>::\n1\n`));
    expect(problems[0]?.message).toMatch(/^an unknown keyword/);
    expect(JSON.stringify(problems)).not.toContain('<IMG');
  });

  it('non-text input is an error, not a crash', async () => {
    expect(await codeOf(() => parseResourceConfig(42 as unknown as string))).toBe('MIG_E_RESOURCE_CONFIG_INVALID');
  });
});
