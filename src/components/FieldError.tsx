/** What is wrong with one field, said beside it; the field names it with aria-describedby. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} role="alert" className="text-sm text-board-down">
      {message}
    </p>
  );
}
