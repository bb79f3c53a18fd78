/**
 * A one-minute EventBridge Scheduler schedule that invokes a Lambda with a fixed input: the
 * coordinator's tick and each probe region's chain watchdog. No retries and a one-minute event
 * age (the next run is a minute away, so a late one is worthless), and no flexible window (a
 * watchdog or tick spread over minutes would miss the silence it is for).
 */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';

export interface OneMinuteScheduleProps {
  /** The schedule's name: `lifeboat doctor` lists schedules by the stack-name prefix. */
  readonly name: string;
  readonly description: string;
  readonly fn: IFunction;
  /** Passed to the function verbatim as its event. */
  readonly input: Readonly<Record<string, unknown>>;
}

export function oneMinuteSchedule(scope: Construct, id: string, props: OneMinuteScheduleProps): Schedule {
  return new Schedule(scope, id, {
    scheduleName: props.name,
    description: props.description,
    schedule: ScheduleExpression.rate(Duration.minutes(1)),
    timeWindow: TimeWindow.off(),
    target: new LambdaInvoke(props.fn, {
      input: ScheduleTargetInput.fromObject(props.input),
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    }),
  });
}
