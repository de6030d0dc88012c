import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import * as argon2 from 'argon2';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { assertSchemaReady, Competition, Course, createDataSource, HostCompetitionData, JsonLogger, loadConfigOrExit, provisionCompetitionData, User } from '@holdout/db';
import type { Principal } from './modules/auth/principal.js';
import { AuthService } from './modules/auth/auth.service.js';
import { CompetitionsService } from './modules/competitions/competitions.service.js';
import { LibCompetitionBundles } from './modules/competitions/lib-bundles.js';
import { KernelPolicies } from './modules/kernels/kernel-policies.service.js';

// node apps/api/dist/seed.js — the demo: an instructor and two students in a demo course, and
// one competition per bundle under competitions/ with its data built. Safe to run again: it
// reuses what exists and gives the demo accounts fresh passwords, which it prints.
const DEMO = [
  { email: 'instructor@holdout.local', displayName: 'Demo Instructor', role: 'instructor' as const },
  { email: 'student1@holdout.local', displayName: 'Demo Student 1', role: 'student' as const },
  { email: 'student2@holdout.local', displayName: 'Demo Student 2', role: 'student' as const },
];

async function main(): Promise<void> {
  const config = loadConfigOrExit('seed');
  const logger = new JsonLogger(config.logLevel === 'debug' ? 'debug' : 'warn', 'seed');
  const ds = createDataSource({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 4, applicationName: 'holdout-seed' });
  await ds.initialize();
  await assertSchemaReady(ds);
  const bundles = new LibCompetitionBundles(config.repoRoot);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ config, logger, bundles, dataSource: ds }), { logger });
  try {
    const auth = app.get(AuthService);
    const users = ds.getRepository(User);
    const creds: { email: string; password: string; role: string }[] = [];
    const ids: Record<string, User> = {};
    for (const d of DEMO) {
      const password = randomBytes(9).toString('base64url');
      let u = await users.findOne({ where: { email: d.email } });
      if (u) await users.update({ id: u.id }, { passwordHash: await argon2.hash(password, { type: argon2.argon2id }) });
      else u = await auth.register({ email: d.email, password, displayName: d.displayName });
      ids[d.email] = u;
      creds.push({ email: d.email, password, role: d.role });
    }
    const instructor = ids[DEMO[0]!.email]!;
    // The demo instructor may open further courses (as an approved course creator).
    await users.update({ id: instructor.id }, { canCreateCourses: true });
    let course = await ds.getRepository(Course).findOne({ where: { name: 'Demo course', createdById: instructor.id } });
    if (!course) course = await ds.getRepository(Course).save(ds.getRepository(Course).create({ name: 'Demo course', joinCode: randomBytes(6).toString('hex').slice(0, 8).toUpperCase(), createdById: instructor.id }));
    for (const d of DEMO) {
      await ds.query(`INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (course_id, user_id) DO NOTHING`, [course.id, ids[d.email]!.id, d.role]);
    }
    // The bundled competitions ask for a GPU, as Sartorius did. On a server with no GPU the demo
    // course lets kernels fall back to the CPU queue, or they would wait forever.
    if (config.kernels.gpus.length === 0) {
      await app.get(KernelPolicies).set({ courseId: course.id }, { cpuFallback: true }, instructor.id);
      process.stdout.write('no GPUs configured (HOLDOUT_GPUS): the demo course runs GPU kernels on the CPU\n');
    }
    const p: Principal = { userId: instructor.id, email: instructor.email, displayName: instructor.displayName, isAdmin: instructor.isAdmin, via: 'session', credentialId: 'seed' };
    const competitions = app.get(CompetitionsService);
    const made: string[] = [];
    for (const slug of await bundles.list()) {
      let c = await ds.getRepository(Competition).findOne({ where: { slug } });
      if (!c) {
        await competitions.createBundled(p, { bundle: slug, courseId: course.id });
        c = await ds.getRepository(Competition).findOneOrFail({ where: { slug } });
      }
      if (c.dataStatus !== 'ready') {
        process.stdout.write(`building data for ${slug} …\n`);
        // With a remote store, the downloadable files also go there for every API host.
        await provisionCompetitionData(ds, bundles, c.id, config.dataDir, { host: app.get(HostCompetitionData, { strict: false }) });
      }
      made.push(slug);
    }
    process.stdout.write(`\nDemo course "${course.name}" — join code ${course.joinCode}\n`);
    for (const c of creds) process.stdout.write(`  ${c.role.padEnd(10)} ${c.email.padEnd(28)} password: ${c.password}\n`);
    process.stdout.write(`Competitions: ${made.join(', ')}\n`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`holdout seed: failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
