/**
 * The store and outbox contracts on real Redis (`npm run test:redis`), on one server and on a
 * 3-master Redis Cluster, through each client `RedisBindIdStore` takes as it is: node-redis
 * (`createClient`, `createCluster`) and ioredis (`Redis`, `Cluster`). The outbox runs with two
 * clients (two instances), and its index takes a burst of two workers. The same contracts run
 * without a server in `npm test`, on models of Redis.
 */
import { RedisBindIdStore } from '../../src/index.js';
import { StoreOutbox } from '../../src/fail-open/index.js';
import { expectBurstDeliveredOnce, indexBurst } from '../fail-open/index-burst.js';
import { describeOutboxContract, makeItem } from '../helpers/outbox.js';
import { describeBindIdStoreContract } from '../helpers/store-contract.js';
import { eventually, sleep } from './instances.js';
import { CLIENT_KINDS, clientTitle, type OpenClient, type RedisTarget, startTarget, TOPOLOGIES, TOPOLOGY_NAME } from './targets.js';

describe.each(TOPOLOGIES)('on %s', (topology) => {
  let target: RedisTarget;
  const open: OpenClient[] = [];
  beforeAll(async () => {
    target = await startTarget(topology);
  }, 60_000);
  afterAll(async () => {
    await target?.close();
  });
  afterEach(async () => {
    for (const client of open.splice(0)) await client.close();
  });

  for (const kind of CLIENT_KINDS) {
    const title = `${clientTitle(kind, topology)} on ${TOPOLOGY_NAME[topology]}`;
    /** A client of `kind` (closed after the test); with `empty`, every node flushed first. */
    const connect = async (empty = false) => {
      if (empty) await target.flush();
      const client = await kind.open(target);
      open.push(client);
      return client.client;
    };

    describeBindIdStoreContract(`RedisBindIdStore, ${title}`, async () => ({ store: new RedisBindIdStore(await connect(true)), pass: sleep }));

    describeOutboxContract(`StoreOutbox on RedisBindIdStore, ${title}, two clients`, async () => {
      const first = await connect(true);
      const second = await connect();
      return {
        outbox: new StoreOutbox(new RedisBindIdStore(first)),
        other: new StoreOutbox(new RedisBindIdStore(second)),
        now: Date.now,
        pass: sleep,
      };
    });

    it(`restarting each node in turn, ${title}: the queued reports survive (append-only file) and the same client reaches them again`, async () => {
      const client = await connect(true);
      const outbox = new StoreOutbox(new RedisBindIdStore(client));
      const items = Array.from({ length: 10 }, () => makeItem());
      for (const item of items) expect(await outbox.enqueue(item)).toBe(true);
      for (let node = 0; node < target.size; node++) {
        await target.restartNode(node);
        await eventually(`the outbox readable after node ${node} restarted`, async () => (await outbox.due(Date.now(), 100).catch(() => [])).length === 10);
      }
      expect((await outbox.due(Date.now(), 100)).map((i) => i.id).sort()).toEqual(items.map((i) => i.id).sort());
    });

    it(`the outbox index under a burst, ${title}: two workers on two clients, 200 due items and 200 not due: each due item delivered once, none of the others`, async () => {
      const [first, second] = [await connect(true), await connect()];
      await target.resetStats();
      const result = await indexBurst([new StoreOutbox(new RedisBindIdStore(first)), new StoreOutbox(new RedisBindIdStore(second))], 200, 200);
      expectBurstDeliveredOnce(result, 200);
      // Read from the index only: no listing of the keyspace (commands run inside scripts count too).
      const ran = await target.commandsRun();
      expect(ran.has('zrangebyscore')).toBe(true);
      expect(['scan', 'keys'].filter((command) => ran.has(command))).toEqual([]);
    });
  }
});
