import { describe, expect, it } from "vitest";
import { AARCH64, SeccompError, X86_64, compile, parseProfile, profileToJson, validateProfile } from "../src/index";
import { expectThrown } from "../../../test/support/expect-thrown";

const thrown = (fn: () => unknown): SeccompError => expectThrown(SeccompError, fn);

const FILE = "/tmp/p.json";
const message = (text: string) => thrown(() => parseProfile(text, FILE, { arch: X86_64 })).message;

describe("parseProfile: OCI profiles", () => {
  it("reads the OCI shape", () => {
    const p = parseProfile(
      JSON.stringify({
        defaultAction: "SCMP_ACT_ERRNO",
        defaultErrnoRet: 38,
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        syscalls: [
          { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
          { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }] },
          { names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
        ],
      }),
      FILE,
    );
    expect(p).toEqual({
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 38,
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      syscalls: [
        { names: ["read", "write"], action: "SCMP_ACT_ALLOW", args: [] },
        { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 8n, valueTwo: 0n, op: "SCMP_CMP_EQ" }] },
        { names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13, args: [] },
      ],
    });
  });

  it("accepts every action and operator", () => {
    for (const action of [
      "SCMP_ACT_ALLOW",
      "SCMP_ACT_ERRNO",
      "SCMP_ACT_KILL",
      "SCMP_ACT_KILL_THREAD",
      "SCMP_ACT_KILL_PROCESS",
      "SCMP_ACT_TRAP",
      "SCMP_ACT_LOG",
    ]) {
      expect(parseProfile(`{"defaultAction":"${action}","syscalls":[{"names":["read"],"action":"${action}"}]}`, FILE).syscalls[0].action).toBe(action);
    }
    for (const op of ["EQ", "NE", "LT", "LE", "GT", "GE", "MASKED_EQ"]) {
      const p = parseProfile(
        `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_LOG","args":[{"index":5,"value":1,"valueTwo":1,"op":"SCMP_CMP_${op}"}]}]}`,
        FILE,
      );
      expect(p.syscalls[0].args[0].op).toBe(`SCMP_CMP_${op}`);
    }
  });

  it("keeps 64-bit values exact", () => {
    const p = parseProfile(
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_MASKED_EQ"}]}]}',
      FILE,
    );
    expect(p.syscalls[0].args[0].value).toBe(0xffffffffffffffffn);
    expect(p.syscalls[0].args[0].valueTwo).toBe(9007199254740993n);
    // and writes them back exactly
    expect(profileToJson(p)).toContain('"value": 18446744073709551615');
    expect(parseProfile(profileToJson(p), FILE)).toEqual(p);
  });

  it("accepts names that only other architectures have, and no syscalls at all", () => {
    const p = parseProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["socketcall","open"],"action":"SCMP_ACT_ERRNO"}]}', FILE);
    expect(p.syscalls[0].names).toEqual(["socketcall", "open"]);
    expect(parseProfile('{"defaultAction":"SCMP_ACT_LOG"}', FILE)).toEqual({ defaultAction: "SCMP_ACT_LOG", syscalls: [] });
    expect(parseProfile('\ufeff{"defaultAction":"SCMP_ACT_LOG","syscalls":null}', FILE).syscalls).toEqual([]);
  });

  it("validates an already-parsed value (a bundle's linux.seccomp)", () => {
    expect(validateProfile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["ioctl"], action: "SCMP_ACT_LOG", args: [{ index: 1, value: 2n ** 63n, op: "SCMP_CMP_GE" }] }] }, "x").syscalls[0].args[0].value).toBe(2n ** 63n);
    const p = validateProfile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["bpf"], action: "SCMP_ACT_ERRNO" }] }, "config.json");
    expect(p.syscalls[0]).toEqual({ names: ["bpf"], action: "SCMP_ACT_ERRNO", args: [] });
    expect(thrown(() => validateProfile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["ioctl"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 2 ** 60, op: "SCMP_CMP_EQ" }] }] }, "config.json")).message).toBe(
      "config.json: syscalls[0].args[0].value (1152921504606847000) is above 2^53 and may have been rounded by JSON.parse: pass a bigint, or parse the text with parseProfile",
    );
  });
});

describe("parseProfile: bad input gives one clear line", () => {
  it("invalid JSON", () => {
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [}')).toBe(
      '/tmp/p.json: not valid JSON: unexpected "}" at line 2 column 16',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW"')).toBe(
      "/tmp/p.json: not valid JSON: unexpected end of input at line 1 column 35",
    );
    expect(message("")).toBe("/tmp/p.json: not valid JSON: unexpected end of input at line 1 column 1");
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW",}')).toBe(
      '/tmp/p.json: not valid JSON: expected a property name in quotes, found "}" at line 1 column 36',
    );
    expect(message("{'defaultAction': 1}")).toBe(
      "/tmp/p.json: not valid JSON: expected a property name in quotes, found \"'\" at line 1 column 2",
    );
    expect(message('{"a": 1} x')).toBe('/tmp/p.json: not valid JSON: unexpected "x" after the end of the JSON value at line 1 column 10');
    expect(message('{"a": "\\x"}')).toBe('/tmp/p.json: not valid JSON: bad escape "\\x" in string at line 1 column 8');
    expect(message('{"a": 01}')).toBe('/tmp/p.json: not valid JSON: expected "," or "}", found "1" at line 1 column 8');
    expect(message("[1, 2")).toBe("/tmp/p.json: not valid JSON: unexpected end of input at line 1 column 6");
    expect(message('"\n"')).toBe("/tmp/p.json: not valid JSON: control character \\u000a in string at line 1 column 2");
  });

  it("unknown action", () => {
    expect(message('{"defaultAction": "SCMP_ACT_DENY"}')).toBe(
      '/tmp/p.json: unknown action "SCMP_ACT_DENY" in defaultAction (expected one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_LOG)',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_allow"}]}')).toBe(
      '/tmp/p.json: unknown action "SCMP_ACT_allow" in syscalls[0].action (expected one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_LOG)',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}')).toBe(
      '/tmp/p.json: action "SCMP_ACT_NOTIFY" in syscalls[0].action is not supported by minictl (supported: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_LOG)',
    );
    expect(message('{"syscalls": []}')).toBe("/tmp/p.json: defaultAction is missing");
    expect(message('{"defaultAction": 1}')).toBe("/tmp/p.json: defaultAction must be a string, not 1");
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}')).toBe(
      "/tmp/p.json: syscalls[0].action is missing",
    );
  });

  it("unknown syscall, naming the syscall and the file", () => {
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG"}, {"names": ["write", "wrtie"], "action": "SCMP_ACT_LOG"}]}')).toBe(
      '/tmp/p.json: unknown syscall "wrtie" in syscalls[1].names',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "kexec", "action": "SCMP_ACT_ERRNO"}]}')).toBe(
      '/tmp/p.json: unknown syscall "kexec" in syscalls[0].name',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["__proto__"], "action": "SCMP_ACT_ERRNO"}]}')).toBe(
      '/tmp/p.json: unknown syscall "__proto__" in syscalls[0].names',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}')).toBe(
      '/tmp/p.json: syscalls[0] names no syscall (expected "names": [...])',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", 3], "action": "SCMP_ACT_ERRNO"}]}')).toBe(
      "/tmp/p.json: syscalls[0].names[1] must be a syscall name, not 3",
    );
  });

  it("unknown operator and bad arguments", () => {
    const withArg = (arg: string) =>
      message(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "args": [${arg}]}]}`);
    expect(withArg('{"index": 1, "value": 21522, "op": "SCMP_CMP_EQUAL"}')).toBe(
      '/tmp/p.json: unknown operator "SCMP_CMP_EQUAL" in syscalls[0].args[0].op (expected one of SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE, SCMP_CMP_MASKED_EQ)',
    );
    expect(withArg('{"index": 1, "value": 21522}')).toBe("/tmp/p.json: syscalls[0].args[0].op is missing");
    expect(withArg('{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}')).toBe(
      "/tmp/p.json: syscalls[0].args[0].index must be an integer from 0 to 5, not 6",
    );
    expect(withArg('{"value": 0, "op": "SCMP_CMP_EQ"}')).toBe(
      "/tmp/p.json: syscalls[0].args[0].index must be an integer from 0 to 5, not missing",
    );
    expect(withArg('{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}')).toBe(
      "/tmp/p.json: syscalls[0].args[0].value must be an integer from 0 to 18446744073709551615, not -1",
    );
    expect(withArg('{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}')).toBe(
      "/tmp/p.json: syscalls[0].args[0].value must be an integer from 0 to 18446744073709551615, not 18446744073709551616",
    );
    expect(withArg('{"index": 0, "value": 1.5, "op": "SCMP_CMP_EQ"}')).toBe(
      "/tmp/p.json: syscalls[0].args[0].value must be an integer from 0 to 18446744073709551615, not 1.5",
    );
    expect(withArg('{"index": 0, "value": "0x5412", "op": "SCMP_CMP_EQ"}')).toBe(
      '/tmp/p.json: syscalls[0].args[0].value must be an integer from 0 to 18446744073709551615, not "0x5412"',
    );
  });

  it("other shapes", () => {
    expect(message("[]")).toBe("/tmp/p.json: a seccomp profile must be a JSON object");
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}')).toBe("/tmp/p.json: syscalls must be an array");
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_AMD64"]}')).toBe(
      '/tmp/p.json: unknown architecture "SCMP_ARCH_AMD64" in architectures[0]',
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}')).toBe(
      "/tmp/p.json: defaultErrnoRet is only allowed with defaultAction SCMP_ACT_ERRNO",
    );
    expect(message('{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4096}')).toBe(
      "/tmp/p.json: defaultErrnoRet must be an integer from 0 to 4095, not 4096",
    );
    expect(message('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}')).toBe(
      "/tmp/p.json: syscalls[0].errnoRet is only allowed with action SCMP_ACT_ERRNO",
    );
    for (const m of [message("[1, 2"), message('{"defaultAction": "x"}'), message('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["nope"],"action":"SCMP_ACT_LOG"}]}')]) {
      expect(m).not.toContain("\n");
    }
  });
});

describe("parseProfile: Docker's format", () => {
  const docker = (entries: object[], context = {}) =>
    parseProfile(
      JSON.stringify({
        defaultAction: "SCMP_ACT_ERRNO",
        defaultErrnoRet: 1,
        archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] }],
        syscalls: entries,
      }),
      "docker.json",
      { arch: X86_64, kernelRelease: "6.1.0-18-amd64", ...context },
    ).syscalls.map((r) => r.names.join(","));

  it("ignores archMap, comments and empty conditions, and reads the legacy name", () => {
    expect(docker([{ names: ["read"], action: "SCMP_ACT_ALLOW", comment: "x", includes: {}, excludes: {} }, { name: "write", action: "SCMP_ACT_ALLOW" }])).toEqual(["read", "write"]);
  });

  it("evaluates architecture conditions", () => {
    const entries = [
      { names: ["arch_prctl"], action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64", "x32", "x86"] } },
      { names: ["s390_sthyi", "s390_no_such"], action: "SCMP_ACT_ALLOW", includes: { arches: ["s390", "s390x"] } },
      { names: ["cacheflush"], action: "SCMP_ACT_ALLOW", includes: { arches: ["arm", "arm64"] } },
      { names: ["uselib"], action: "SCMP_ACT_ALLOW", excludes: { arches: ["amd64"] } },
    ];
    expect(docker(entries)).toEqual(["arch_prctl"]);
    expect(docker(entries, { arch: AARCH64 })).toEqual(["cacheflush", "uselib"]);
  });

  it("evaluates kernel version conditions", () => {
    const entries = [
      { names: ["pidfd_getfd"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "5.6" } },
      { names: ["listns"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "6.18" } },
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: { minKernel: "5.3" } },
    ];
    expect(docker(entries)).toEqual(["pidfd_getfd"]);
    expect(docker(entries, { kernelRelease: "4.19.0" })).toEqual(["clone3"]);
    expect(docker(entries, { kernelRelease: "6.18.44-fc" })).toEqual(["pidfd_getfd", "listns"]);
    expect(thrown(() => docker([{ names: ["read"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "six" } }])).message).toBe(
      'docker.json: syscalls[0].includes.minKernel must be a version such as "5.8", not "six"',
    );
  });

  it("skips capability conditions it cannot evaluate, and evaluates them when told the capabilities", () => {
    const entries = [
      { names: ["mount"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
      { names: ["clone"], action: "SCMP_ACT_ALLOW", excludes: { caps: ["CAP_SYS_ADMIN"] }, args: [{ index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ" }] },
      { names: ["reboot"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_BOOT"] } },
      { names: ["read"], action: "SCMP_ACT_ALLOW", includes: { someday: true } },
    ];
    expect(docker(entries)).toEqual([]);
    expect(docker(entries, { caps: [] })).toEqual(["clone"]);
    expect(docker(entries, { caps: ["cap_sys_admin"] })).toEqual(["mount"]);
    expect(docker(entries, { caps: ["SYS_ADMIN", "CAP_SYS_BOOT"] })).toEqual(["mount", "reboot"]);
  });
});

describe("names other architectures have", () => {
  it("accepts the names engines' shipped profiles carry for older ABIs, and compiles", () => {
    const text = JSON.stringify({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: ["read", "recv", "send", "syscall", "timerfd", "get_tls", "oldwait4"], action: "SCMP_ACT_ALLOW" }],
    });
    const profile = parseProfile(text, "engines.json");
    expect(() => compile(profile, "x86_64")).not.toThrow();
  });
});
