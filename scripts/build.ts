/** `npm run build`: generate the Prisma client and build the web app, as `npm start` would. */
import { ensureBuild, ensurePrismaClient } from "./lib/prepare";

const say = (line: string) => process.stdout.write(`[flowgate build] ${line}\n`);
await ensurePrismaClient(say);
if (!(await ensureBuild(say))) say("the build is already current");
