// The import direction of src/ (README "Layout"), checked by `npm test` so the layering cannot drift:
//   cli, index.ts → push | apps | daemon | doctor | kube | repave → staging | cnb | stack | oci | sandbox | buildpack
//     → container | network → security → util, errors.ts, home.ts
// Inside the top row: push may use apps and daemon, daemon reads the desired state of apps, apps
// uses neither (it is the desired state and the client of the daemon).
// Inside the build row: staging and cnb run their containers as sandboxes, and the sandbox knows
// neither (it also needs stack and oci, so it cannot sit a whole row lower). Their containers'
// network is the sandbox's: staging and cnb never lease, attach or tear one down themselves, so a
// second lifecycle with its own teardown cannot grow back there.
// A room's index.ts is its face: other rooms import only that (util/ is a toolbox and has none).
// Deep imports kept on purpose, each with its reason; new ones belong in a face instead.
const KNOWN_DEEP_IMPORTS = [
  // security/ is small pure modules (id maps, capabilities, seccomp, masked paths), each used by
  // one spec rule; its index.ts also loads the AppArmor tooling, which only doctor needs.
  '^src/security/',
  // oci/index.ts loads the registry client; starting an instance needs only the store, the image
  // and the unpack cache (sandbox/image-rootfs.ts loads exactly those).
  '^src/oci/(layout|image|unpack-cache)[.]ts$',
  // Digests alone (sha256, hex), for the stack room's SBOM files, read when a task checks its stack.
  '^src/oci/digest[.]ts$',
  // The registry client's own face, split from oci/index.ts for that reason.
  '^src/oci/registry/index[.]ts$',
  // One light rule (what an env name may be); staging/index.ts loads the staging runner.
  '^src/staging/env[.]ts$',
  // The host-port pool range and -p parsing; host ports move behind network/index.ts with the
  // network room's reserveHostPort (issue 11 item 5).
  '^src/network/ports[.]ts$',
  // The record of a stack's builds (stacks/<name>.json), read with fs only: `ps` marks apps on an
  // older build with it, and stack/index.ts loads the stack builder and the store.
  '^src/stack/stack-file[.]ts$',
  // `run -d`'s client (options, then one daemon request): the apps face also loads the whole app
  // API, a few dozen modules, each a millisecond or more of every `run -d`'s start.
  '^src/apps/run-request[.]ts$',
];

const TOP = '^src/(cli/|index[.]ts$)';
const RUN = '^src/(push|apps|daemon|doctor|kube|repave)/';
const BUILD = '^src/(staging|cnb|stack|oci|sandbox|buildpack)/';
const KERNEL = '^src/(container|network)/';
const SECURITY = '^src/security/';
const BASE = '^src/(util/|errors[.]ts$|home[.]ts$)';

const below = (name, from, above) => ({
  name,
  severity: 'error',
  comment: 'arrows point down (README "Layout"): move the shared code down, or pass it in from above',
  from: { path: from },
  to: { path: above },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle makes two modules one; cut it where one only needs a type or a value passed in',
      from: {},
      to: { circular: true },
    },
    below('run-below-cli', RUN, TOP),
    below('build-below-run', BUILD, `${TOP}|${RUN}`),
    below('kernel-below-build', KERNEL, `${TOP}|${RUN}|${BUILD}`),
    below('security-below-kernel', SECURITY, `${TOP}|${RUN}|${BUILD}|${KERNEL}`),
    below('base-below-all', BASE, '^src/(?!(util/|errors[.]ts$|home[.]ts$))'),
    below('apps-below-push-and-daemon', '^src/apps/', '^src/(push|daemon|repave)/'),
    below('daemon-below-push', '^src/daemon/', '^src/push/'),
    below('sandbox-below-staging-and-cnb', '^src/sandbox/', '^src/(staging|cnb)/'),
    below('staging-networks-through-sandbox', '^src/(staging|cnb)/', '^src/network/'),
    {
      name: 'rooms-through-their-face',
      severity: 'error',
      comment: "import another room only through its index.ts; export what you need there (split a face that would load heavy code)",
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/[^/]+/index[.]ts$', '^src/util/', ...KNOWN_DEEP_IMPORTS],
        // A type loads nothing: the layer rules above still see it.
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'index-through-faces',
      severity: 'error',
      comment: 'the library API (src/index.ts) re-exports faces only',
      from: { path: '^src/index[.]ts$' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/[^/]+/index[.]ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

