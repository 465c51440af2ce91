#!/usr/bin/env node
'use strict';
// Reads an Omnihub external-consumer queue (omnihub.external.<name>), validates every
// event against contracts/schemas, acks the valid ones and dead-letters the others.
//
//   node consumer.js --name crm                       # omnihub.external.crm
//   node consumer.js --queue omnihub.external.crm --count 10 --timeout 30
//
// stdout: one JSON line per settled message {"id","type","valid","errors","outcome"};
// stderr: what happened to the consumer itself. Neither ever shows event data.

const path = require('node:path');
const { parseArgs } = require('node:util');
const amqp = require('amqplib');
const { checkDelivery, loadValidators } = require('./validate');

const USAGE = `usage: node consumer.js (--queue QUEUE | --name NAME) [--schemas DIR]
       [--count N] [--timeout SECONDS] [--prefetch N] [--minimised]
env: AMQP_URL, OMNIHUB_QUEUE, OMNIHUB_SCHEMAS, PREFETCH`;
const HANDLER_ATTEMPTS = 5; // then a message your handler keeps failing on goes to the DLQ
const RETRY_PAUSE_MS = 1000;

function options() {
  const { values } = parseArgs({
    options: {
      queue: { type: 'string' },
      name: { type: 'string' },
      schemas: { type: 'string' },
      count: { type: 'string' },
      timeout: { type: 'string' },
      prefetch: { type: 'string' },
      minimised: { type: 'boolean', default: process.env.OMNIHUB_MINIMISED === '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) exit(0, USAGE);
  const queue =
    values.queue ||
    (values.name ? `omnihub.external.${values.name}` : process.env.OMNIHUB_QUEUE);
  if (!queue) exit(64, `error: give --queue or --name\n${USAGE}`);
  return {
    url: process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672/',
    queue,
    schemas:
      values.schemas ||
      process.env.OMNIHUB_SCHEMAS ||
      path.join(__dirname, '..', '..', 'contracts', 'schemas'),
    count: positive(values.count, 'count'),
    timeout: positive(values.timeout, 'timeout'),
    prefetch: positive(values.prefetch || process.env.PREFETCH || '20', 'prefetch'),
    minimised: values.minimised,
  };
}

function positive(raw, name) {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) exit(64, `error: --${name} must be a positive number`);
  return n;
}

function report(fields) {
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...fields })}\n`);
}

function exit(code, message) {
  if (message) process.stderr.write(`${message}\n`);
  process.exit(code);
}

// Your business logic goes here. Delivery is at-least-once: the same event can arrive
// again (a redelivery after a crash, a replay from the DLQ), so make this idempotent by
// (event.source, event.id), e.g. a unique key in the same database transaction.
async function handleEvent(_event, _headers) {}

async function main() {
  const opts = options();
  let connection = null;
  let channel = null;
  let settled = 0;
  let stopping = false;
  let consumerTag = null;
  let work = Promise.resolve(); // one message at a time, in queue order

  async function stop(code, why) {
    if (stopping) return;
    stopping = true;
    report({ event: 'stopping', reason: why, settled });
    try {
      if (consumerTag) await channel.cancel(consumerTag); // no new deliveries
      await work; // finish the message in hand; prefetched ones go back to the queue
      if (channel) await channel.close();
      if (connection) await connection.close();
    } catch (err) {
      report({ event: 'close_failed', error: err.message });
    }
    process.exit(code);
  }
  // Installed first, so a SIGTERM during start-up (a rolling deploy) also exits cleanly.
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => stop(0, signal));
  if (opts.timeout) {
    setTimeout(() => stop(opts.count ? 1 : 0, 'timeout'), opts.timeout * 1000);
  }

  const validators = loadValidators(opts.schemas, { minimised: opts.minimised });
  connection = await amqp.connect(opts.url);
  connection.on('error', (err) => report({ event: 'connection_error', error: err.message }));
  connection.on('close', () => {
    if (!stopping) exit(75, 'error: connection to RabbitMQ closed; restart to reconnect');
  });
  channel = await connection.createChannel();
  channel.on('error', (err) => report({ event: 'channel_error', error: err.message }));
  await channel.prefetch(opts.prefetch);
  if (stopping) return; // a signal arrived while connecting

  function settle(msg, check, outcome) {
    if (outcome === 'ack') channel.ack(msg);
    else channel.nack(msg, false, outcome === 'requeue');
    if (outcome === 'requeue') return;
    const line = { id: check.id, type: check.type, valid: check.errors.length === 0 };
    process.stdout.write(`${JSON.stringify({ ...line, errors: check.errors, outcome })}\n`);
    settled += 1;
    if (opts.count && settled >= opts.count) stop(0, 'count reached');
  }

  async function onMessage(msg) {
    const check = checkDelivery(validators, msg.content, msg.properties);
    if (check.errors.length > 0) return settle(msg, check, 'dlq'); // retrying cannot help
    try {
      await handleEvent(check.event, msg.properties.headers || {});
      return settle(msg, check, 'ack');
    } catch (err) {
      // A quorum queue counts redeliveries in x-delivery-count (absent the first time).
      const attempts = Number((msg.properties.headers || {})['x-delivery-count'] || 0) + 1;
      report({ event: 'handler_failed', id: check.id, attempts, error: err.name });
      if (attempts >= HANDLER_ATTEMPTS) return settle(msg, check, 'dlq');
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      return settle(msg, check, 'requeue');
    }
  }

  try {
    ({ consumerTag } = await channel.consume(opts.queue, (msg) => {
      if (msg === null) return void stop(75, 'consumer cancelled by RabbitMQ (queue deleted?)');
      work = work
        .then(() => (stopping ? undefined : onMessage(msg)))
        .catch((err) => report({ event: 'settle_failed', error: err.message }));
    }));
  } catch (err) {
    exit(69, `error: cannot consume ${opts.queue}: ${err.message}\n` +
      'Does the queue exist? Ask the hub operator for `omnihub consumers add`.');
  }
  channel.on('close', () => {
    if (!stopping) exit(75, 'error: channel closed by RabbitMQ (see its log)');
  });
  report({ event: 'consuming', queue: opts.queue, prefetch: opts.prefetch, schemas: validators.size });
}

main().catch((err) => exit(70, `error: ${err.message}`));
