import Link from 'next/link';

/** A competition that does not exist and one of a course the viewer is not in look the same (no leak). */
export default function CompetitionNotFound() {
  return (
    <section className="card" style={{ maxWidth: '40rem' }} data-testid="competition-not-found">
      <h1>Competition not available</h1>
      <p>
        There is no such competition, or it belongs to a course you have not joined. Competitions are open to the members of
        their course: if your instructor gave you a join code, <Link href="/join">join the course</Link> and come back.
      </p>
      <p>
        <Link href="/competitions">The competitions you can see</Link>
      </p>
    </section>
  );
}
