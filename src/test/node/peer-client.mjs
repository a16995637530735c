// The @discordjs/ws side of `./run.sh bench peers`: a bot's gateway connection with @discordjs/ws in its own Node
// process (the library JSON.parses every payload), logged in to the simulator with Gatehouse's default intents
// and zlib-stream. Commands on standard input (mark, report, stop) are answered with one JSON line each;
// "loaded" is printed once every shard is ready and the world's guilds have all arrived. Latency: a
// MESSAGE_CREATE's nonce (the simulator's wall clock in microseconds) to this handler. Run with --expose-gc so
// report can give the heap after a full collection.
//
// Environment: DISCORD_API (REST base), DISCORD_TOKEN, GUILDS (the number of guilds in the world).
import { createInterface } from 'node:readline';
import { REST } from '@discordjs/rest';
import { CompressionMethod, WebSocketManager, WebSocketShardEvents } from '@discordjs/ws';
import { GatewayDispatchEvents, GatewayIntentBits } from 'discord-api-types/v10';

const api = process.env.DISCORD_API;
const token = process.env.DISCORD_TOKEN;
const guildsInWorld = Number(process.env.GUILDS ?? '0');
if (!api || !token) {
	console.error('peer-client: set DISCORD_API, DISCORD_TOKEN and GUILDS');
	process.exit(2);
}

const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
let events = 0;
let samples = [];
const guilds = new Set();
let loaded = false;

const rest = new REST({ api, version: '10' }).setToken(token);
const manager = new WebSocketManager({
	token,
	intents:
		GatewayIntentBits.Guilds |
		GatewayIntentBits.GuildMembers |
		GatewayIntentBits.GuildVoiceStates |
		GatewayIntentBits.GuildPresences |
		GatewayIntentBits.GuildMessages |
		GatewayIntentBits.MessageContent,
	compression: CompressionMethod.ZlibNative,
	rest,
});

manager.on(WebSocketShardEvents.Dispatch, (payload) => {
	events++;
	if (payload.t === GatewayDispatchEvents.GuildCreate) {
		guilds.add(payload.d.id);
		if (!loaded && guilds.size >= guildsInWorld) {
			loaded = true;
			print({ event: 'loaded', events });
		}
	} else if (payload.t === GatewayDispatchEvents.MessageCreate && payload.d.nonce) {
		const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
		samples.push(micros - Number(payload.d.nonce));
	}
});
manager.on(WebSocketShardEvents.Error, (error, shard) => print({ event: 'error', shard, message: String(error) }));

const quantile = (sorted, q) => (sorted.length === 0 ? -1 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

createInterface({ input: process.stdin }).on('line', async (line) => {
	const command = line.trim();
	if (command === 'mark') {
		samples = [];
		print({ event: 'marked', events });
	} else if (command === 'report') {
		const sorted = Float64Array.from(samples).sort();
		const counted = events;
		globalThis.gc?.();
		print({ event: 'report', events: counted, samples: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99),
			heapAfterGc: process.memoryUsage().heapUsed });
	} else if (command === 'stop') {
		await manager.destroy({ code: 1000, reason: 'bench over' });
		print({ event: 'stopped' });
		process.exit(0);
	} else {
		print({ event: 'error', message: `unknown command ${command}` });
	}
});

try {
	await manager.connect();
} catch (error) {
	print({ event: 'error', shard: -1, message: String(error?.stack ?? error) });
	process.exit(1);
}
