'use strict';
// Validation of Omnihub CloudEvents against the published JSON Schemas (draft 2020-12).
//
// Each file in contracts/schemas/ describes one event type and version, envelope and
// `data` together; its `$id` is the value the hub puts in the event's `dataschema`
// (e.g. urn:omnihub:schema:customer.updated:v1). No network access: schemas are loaded
// from disk, so a schema you have not reviewed can never change what you accept.

const fs = require('node:fs');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const CLOUDEVENTS_JSON = 'application/cloudevents+json';

// pydantic writes keywords ajv's strict mode frowns on (`default` beside `$ref`, `anyOf`
// without a shared `type`); they are valid JSON Schema, so only strict types are relaxed.
function newAjv() {
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false, strictTuples: false });
  addFormats(ajv);
  return ajv;
}

function readSchemas(dir) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no *.json schemas in ${dir}`);
  return files.map((file) => {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    if (typeof schema.$id !== 'string') throw new Error(`${file} has no $id`);
    return schema;
  });
}

// With `omnihub consumers add --field ...` the hub sends only the chosen `data` fields, so
// `data` cannot satisfy the full schema; `minimised` checks the envelope and that `data`
// is an object.
function envelopeOnly(schema) {
  const copy = structuredClone(schema);
  copy.properties.data = { type: 'object' };
  return copy;
}

// urn -> compiled validator, for every schema in `dir` (compiled once, up front, so a
// schema ajv cannot handle fails at start-up rather than on the first such event).
function loadValidators(dir, { minimised = false } = {}) {
  const ajv = newAjv();
  const validators = new Map();
  for (const schema of readSchemas(dir)) {
    validators.set(schema.$id, ajv.compile(minimised ? envelopeOnly(schema) : schema));
  }
  return validators;
}

// Paths and the rule broken, never the offending value: output must not carry personal data.
function describe(errors) {
  return (errors || []).map((e) => {
    const where = e.instancePath || '(event)';
    const extra = e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : '';
    return `${where} ${e.message}${extra}`;
  });
}

// Checks one delivery: { id, type, event, errors }. `errors` is empty when it is valid.
function checkDelivery(validators, body, properties = {}) {
  const id = properties.messageId || null;
  const type = properties.type || null;
  let event;
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch {
    return { id, type, event: null, errors: ['(body) is not JSON'] };
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return { id, type, event: null, errors: ['(body) is not a JSON object'] };
  }
  const seen = {
    id: typeof event.id === 'string' ? event.id : id,
    type: typeof event.type === 'string' ? event.type : type,
    event,
  };
  const errors = [];
  if (properties.contentType && properties.contentType !== CLOUDEVENTS_JSON) {
    errors.push(`(message) content_type ${properties.contentType}, expected ${CLOUDEVENTS_JSON}`);
  }
  if (properties.messageId && properties.messageId !== event.id) {
    errors.push('(message) message_id differs from the event id');
  }
  if (properties.type && properties.type !== event.type) {
    errors.push('(message) type differs from the event type');
  }
  const validate = validators.get(event.dataschema);
  if (typeof event.dataschema !== 'string') {
    errors.push('/dataschema is missing');
  } else if (validate === undefined) {
    errors.push(`/dataschema ${event.dataschema} is not a known schema`);
  } else if (!validate(event)) {
    errors.push(...describe(validate.errors));
  }
  return { ...seen, errors };
}

module.exports = { CLOUDEVENTS_JSON, checkDelivery, loadValidators };
