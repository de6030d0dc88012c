'use client';
import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import type { CourseDto, CreateCourseRequest } from '@holdout/contracts';
import { send } from '@/lib/client';
import { useAction } from './useAction';
import { Message } from './Message';

export function CreateCourseForm() {
  const router = useRouter();
  const { busy, message, run } = useAction();
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const body: CreateCourseRequest = { name: String(new FormData(form).get('name') ?? '').trim() };
    void run(async () => {
      const course = await send<CourseDto>('POST', '/courses', body);
      form.reset();
      router.refresh();
      return `Created ${course.name}. Students join with the code ${course.joinCode ?? '(see the course list)'}.`;
    });
  }
  return (
    <form onSubmit={onSubmit}>
      <Message message={message} />
      <div className="field">
        <label htmlFor="course-name">Course name</label>
        <input id="course-name" name="name" type="text" required maxLength={120} />
      </div>
      <button className="btn btn--primary" type="submit" disabled={busy}>
        Create course
      </button>
    </form>
  );
}
