// The import layers of the design as rules (README, "A tour of the folders"): `npm run lint` runs `depcruise` over the sources with this file.
// Imports point down: ui -> host -> engine -> node-api -> graph, models -> tensor; nodes -> node-api, models,
// tensor, world; cli, queue, eval and bench are clients on top. Every path pattern also matches the same layout under
// test/fixtures/layers/, where a deliberately bad import shows each kind of rule failing (test/layers.test.ts).
const at = (path) => `^(test/fixtures/layers/)?${path}`;
const not = (...paths) => paths.map(at);

/** A rule: files under `from` may import only files under `allowed` (and their own folder). */
const only = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: at(from) },
  to: { path: '^(test/fixtures/layers/)?(src|nodes|eval|bench)/', pathNot: not(from, ...allowed) },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'circles are bugs: a module may not reach itself through its imports',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    only('tensor-imports-nothing', 'src/tensor/', [], 'tensors and pure ops are the floor'),
    only('graph-layer', 'src/graph/', ['src/tensor/'], 'the graph document knows tensors only'),
    only('world-layer', 'src/world/', ['src/tensor/'], 'ShapesWorld knows tensors only'),
    only('models-layer', 'src/models/', ['src/tensor/'], 'model runtimes, samplers and pipelines know tensors only'),
    only('models-runtime', 'src/models/runtime/', ['src/tensor/'], 'runtimes do not know samplers or pipelines'),
    only('models-samplers', 'src/models/samplers/', ['src/tensor/', 'src/models/runtime/'], 'samplers above runtimes'),
    only('node-api-layer', 'src/node-api/', ['src/graph/', 'src/models/', 'src/tensor/'], 'what a node may import'),
    only(
      'engine-layer',
      'src/engine/',
      ['src/node-api/', 'src/graph/', 'src/models/', 'src/tensor/'],
      'the engine never imports nodes, hosts, the UI or the CLI',
    ),
    only(
      'nodes-layer',
      'nodes/',
      ['src/node-api/', 'src/models/', 'src/tensor/', 'src/world/'],
      'nodes import the node API, models, tensors and the world: never the engine, graph internals, UI or CLI',
    ),
    only(
      'host-layer',
      'src/host/',
      ['src/engine/', 'src/node-api/', 'src/graph/', 'src/models/', 'src/tensor/', 'nodes/'],
      'a host joins an engine, the node registry and a transport',
    ),
    only(
      'ui-layer',
      'src/ui/',
      ['src/engine/', 'src/host/', 'src/graph/', 'src/tensor/', 'src/world/'],
      'the UI reaches models and nodes only through the engine',
    ),
    only(
      'queue-layer',
      'src/queue/',
      ['src/host/', 'src/engine/', 'src/graph/', 'src/tensor/'],
      'the queue is a client of the engine API; it never imports the CLI',
    ),
    {
      name: 'nothing-imports-clients',
      comment: 'the CLI, the evals and the bench sit on top: nothing in the product imports them',
      severity: 'error',
      from: { path: at('(src|nodes)/'), pathNot: at('src/cli/') },
      to: { path: not('src/cli/', 'eval/', 'bench/') },
    },
    {
      name: 'node-families-share-through-kit',
      comment: "a node family is not another family's toolkit: what families share lives in nodes/kit",
      severity: 'error',
      from: { path: at('nodes/([^/]+)/'), pathNot: not('nodes/index\\.ts', 'nodes/kit/') },
      to: {
        path: at('nodes/([^/]+)/'),
        pathNot: [at('nodes/$1/'), at('nodes/kit/')],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|public)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.mjs', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
